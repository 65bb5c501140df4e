"""Brokered service-to-service calls (R-AUTH-1..6) for agency apps.

Source side: `open_session` asks the hub for a session token on a destination service,
`call_service` calls that service with the token, signed with the source's own key.
Destination side: `verify_brokered_call` sends the token and the source's signature to the
hub (signed with the destination's key) and returns who is calling, or raises
`BrokeredCallRefused`. Tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspError

SIGNATURE_HEADERS = ("signature", "signature-input", "content-digest")
_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/=]+):")


class BrokeredCallRefused(LgspError):
    """The destination must refuse the call (R-AUTH-6); `status` is the HTTP status to
    answer with (401: no or invalid token/signature, 403: not allowed)."""

    code = "access_denied"

    def __init__(self, message: str, *, code: str, status: int = 401) -> None:
        super().__init__(message, code=code)
        self.status = status


@dataclass(frozen=True)
class BrokeredSession:
    """What the hub answered the source: the token and where to call (keep it secret)."""

    token: str
    service: str
    base_url: str
    scope: tuple[str, ...]
    expires_at: str

    def __repr__(self) -> str:
        return f"BrokeredSession(service={self.service!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True)
class IncomingRequest:
    """A call as the destination received it; `url` is the URL the source called."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class VerifiedSource:
    """Who is calling, as the hub vouched for it."""

    unit: str
    app: str
    key_id: str
    scopes: frozenset[str]
    expires_at: int
    token_id: str


def open_session(client: LgspClient, service: str,
                 scopes: Iterable[str] | None = None) -> BrokeredSession:
    """R-AUTH-1/2: a session on `<unit>/<service id>` (403 `access_denied` without grant)."""
    body: dict[str, Any] = {"service": service}
    if scopes is not None:
        body["scopes"] = sorted(set(scopes))
    answer = client.call("POST", "/v1/auth/sessions", body=body, retry=False)
    return BrokeredSession(token=answer["token"], service=service,
                           base_url=answer["service"]["base_url"],
                           scope=tuple(answer["scope"].split()),
                           expires_at=answer["expires_at"])


def call_service(client: LgspClient, session: BrokeredSession, method: str, path: str,
                 *, body: bytes | None = None, headers: Mapping[str, str] | None = None
                 ) -> requests.Response:
    """R-AUTH-3: call the destination with the token, signed with the source's key."""
    if client.auth is None:
        raise LgspError("calling a service needs the source's access key and secret key",
                        code="no_credentials")
    all_headers = {**(headers or {}), "Authorization": f"Bearer {session.token}"}
    return client.session.request(method, session.base_url + path, data=body,
                                  headers=all_headers, auth=client.auth,
                                  timeout=client.timeout, allow_redirects=False)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    lowered = {k.lower(): v for k, v in headers.items()}
    scheme, _, token = lowered.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _check_body(request: IncomingRequest) -> None:
    """The body is the one the source signed: its Content-Digest matches and is covered."""
    if not request.body:
        return
    lowered = {k.lower(): v for k, v in request.headers.items()}
    found = _DIGEST.search(lowered.get("content-digest", ""))
    expected = base64.b64encode(hashlib.sha256(request.body).digest()).decode()
    if found is None or found.group(1) != expected:
        raise BrokeredCallRefused("The body does not match its Content-Digest.",
                                  code="digest_mismatch")
    if '"content-digest"' not in lowered.get("signature-input", ""):
        raise BrokeredCallRefused("The signature must cover content-digest.",
                                  code="signature_invalid")


def _forwarded(request: IncomingRequest) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers.items()
               if k.lower() in SIGNATURE_HEADERS}
    return {"method": request.method.upper(), "url": request.url, "headers": headers}


def verify_brokered_call(hub_client: LgspClient, token: str | None,
                         request: IncomingRequest | None, *, service: str,
                         required_scopes: Iterable[str] = ()) -> VerifiedSource:
    """R-AUTH-4/5/6 in one call: introspect via the hub (with the source's signed request
    when given), require `active`, audience = `service`, and the scopes; return the source."""
    if not token:
        raise BrokeredCallRefused("A session token is required (Authorization: Bearer).",
                                  code="token_missing")
    body: dict[str, Any] = {"token": token}
    if request is not None:
        _check_body(request)
        body["request"] = _forwarded(request)
    info = hub_client.call("POST", "/v1/auth/introspect", body=body, retry=request is None)
    if not info.get("active"):
        raise BrokeredCallRefused("The session token is not valid for this call.",
                                  code="token_inactive")
    if info.get("aud") != service:
        raise BrokeredCallRefused("The session token is for another service.",
                                  code="wrong_audience")
    scopes = frozenset(str(info.get("scope", "")).split())
    missing = set(required_scopes) - scopes
    if missing:
        raise BrokeredCallRefused("Missing scope: " + " ".join(sorted(missing)),
                                  code="insufficient_scope", status=403)
    source = info["source"]
    return VerifiedSource(unit=source["unit"], app=source["app"], key_id=source["key_id"],
                          scopes=scopes, expires_at=int(info["exp"]), token_id=info["jti"])
