"""The hub as the example app (sso_app.py) sees it: its discovery document and the keys
that sign its tokens, checked with PyJWT."""

from __future__ import annotations

import threading
from typing import Any

import jwt
import requests

LEEWAY_SECONDS = 10  # clock difference tolerated on exp/iat
TIMEOUT = 10


class Refused(Exception):
    """Something from the browser or the hub this app does not accept: an error page."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status



class Provider:
    """The hub's discovery document and signing keys, fetched once on first use."""

    def __init__(self, discovery_url: str) -> None:
        self.discovery_url = discovery_url
        self._meta: dict[str, Any] = {}
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        """A field of the discovery document, e.g. `token_endpoint`."""
        with self._lock:
            if not self._meta:
                try:
                    answer = requests.get(self.discovery_url, timeout=TIMEOUT)
                    answer.raise_for_status()
                    meta = answer.json()
                    self._jwks = jwt.PyJWKClient(meta["jwks_uri"], timeout=TIMEOUT)
                except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                    raise Refused("hub_unavailable", str(exc), 502) from exc
                # OpenID Connect Discovery 4.3: the issuer is where the document came from.
                if meta.get("issuer") != self.discovery_url.removesuffix(
                        "/.well-known/openid-configuration"):
                    raise Refused("hub_unavailable", "the discovery names another issuer", 502)
                self._meta = meta
        if name not in self._meta:
            raise Refused("hub_unavailable", f"the hub's discovery has no {name}", 502)
        return str(self._meta[name])

    def decode(self, token: str, audience: str, require: list[str]) -> dict[str, Any]:
        """The claims of a JWT signed (RS256) by a key in the hub's JWKS, for `audience`."""
        issuer = self.get("issuer")
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience,
                              issuer=issuer, leeway=LEEWAY_SECONDS, options={"require": require})
        except jwt.PyJWTError as exc:
            raise Refused("token_invalid", str(exc)) from exc
