"""An in-test stand-in for the hub's OpenID Connect provider (`<hub>/sso`), as much of the
contract as `lgsp login`, the renewals and `lgsp logout` use: discovery, RFC 8628 device
authorization (the poll answers follow `script`), refresh with rotation (a used refresh
token ends its whole family), RFC 7009 revocation, userinfo. `caller` is how the fake hub
checks a Bearer token: 401 `token_expired` once the token is past its `exp` or `expire`d.

Tokens are HS256 JWTs: the CLI never verifies them, the hub (this fake) does."""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.client.server import Received, Reply

KEY = "fake-op-signing-key-long-enough-for-hs256"
PERSON = {"sub": "p-0001", "preferred_username": "nva@000.00.12.H40@bacgiang.gov.vn",
          "name": "Nguyễn Văn A", "unit": "000.00.12.H40", "unit_name": "Sở Nội vụ",
          "roles": ["unit_admin"]}


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json", "Cache-Control": "no-store"})


def _oauth_error(code: str, status: int = 400) -> Reply:
    return _json(status, {"error": code, "error_description": f"the provider says {code}"})


def _hub_error(status: int, code: str) -> Reply:
    return _json(status, {"error": {"code": code, "message": f"refused: {code}"}})


@dataclass
class FakeOP:
    url: str = ""
    script: list[str] = field(default_factory=lambda: ["ok"])
    device_expires_in: int = 600
    access_lifetime: int = 300
    with_id_token: bool = True
    granted_scope: str = "openid profile unit offline_access lgsp:admin"
    issuer_override: str | None = None
    refuse_refresh: bool = False
    revoke_status: int = 200
    every_token_expired: bool = False  # the hub refuses every token as expired
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    access: dict[str, bool] = field(default_factory=dict)  # token -> expired by the hub
    refresh: dict[str, str] = field(default_factory=dict)  # token -> active|used|revoked
    family: dict[str, int] = field(default_factory=dict)  # refresh token -> family
    device_codes: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def issuer(self) -> str:
        return f"{self.url}/sso"

    def calls_to(self, name: str) -> list[dict[str, str]]:
        return [form for path, form in self.calls if path == f"/sso/{name}"]

    def refreshes(self) -> list[dict[str, str]]:
        return [f for f in self.calls_to("token") if f.get("grant_type") == "refresh_token"]

    def latest_access(self) -> str:
        return list(self.access)[-1]

    def latest_refresh(self) -> str:
        return list(self.refresh)[-1]

    def expire(self, token: str) -> None:
        self.access[token] = True

    # -- the provider ---------------------------------------------------------------------

    def __call__(self, r: Received) -> Reply:
        path = r.path.partition("?")[0]
        form = dict(urllib.parse.parse_qsl(r.body.decode())) if r.body else {}
        self.calls.append((path, form))
        if path == "/sso/.well-known/openid-configuration":
            return _json(200, self._discovery())
        if path == "/sso/userinfo":
            return _json(200, PERSON)
        if form.get("client_id") != "lgsp-cli":
            return _oauth_error("invalid_client", 401)
        if path == "/sso/device":
            return self._device()
        if path == "/sso/revoke":
            if self.revoke_status != 200:
                return _json(self.revoke_status, {"error": {"code": "unavailable",
                                                            "message": "down"}})
            if form.get("token") in self.refresh:
                self.refresh[form["token"]] = "revoked"
            return Reply(200, b"")
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        return self._poll(form)

    def _discovery(self) -> dict[str, Any]:
        iss = self.issuer
        return {"issuer": self.issuer_override or iss, "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token", "userinfo_endpoint": f"{iss}/userinfo",
                "jwks_uri": f"{iss}/jwks", "end_session_endpoint": f"{iss}/logout",
                "device_authorization_endpoint": f"{iss}/device",
                "revocation_endpoint": f"{iss}/revoke",
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "private_key_jwt", "none"]}

    def _device(self) -> Reply:
        code = f"device-code-{next(self._ids)}-secret"
        self.device_codes.append(code)
        verify = f"{self.issuer}/device/verify"
        return _json(200, {"device_code": code, "user_code": "WDJB-MJHT",
                           "verification_uri": verify,
                           "verification_uri_complete": f"{verify}?user_code=WDJB-MJHT",
                           "expires_in": self.device_expires_in, "interval": 5})

    def _poll(self, form: dict[str, str]) -> Reply:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" \
                or form.get("device_code") not in self.device_codes:
            return _oauth_error("invalid_grant")
        outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if outcome.startswith("http_"):
            return _hub_error(int(outcome[5:]), "unavailable")
        if outcome != "ok":
            return _oauth_error(outcome)
        return self._issue(next(self._ids))

    def _refresh(self, token: str) -> Reply:
        state = self.refresh.get(token)
        if self.refuse_refresh or state != "active":
            if state == "used":  # reuse: the whole family ends
                for other, fam in self.family.items():
                    if fam == self.family[token]:
                        self.refresh[other] = "revoked"
            return _oauth_error("invalid_grant")
        self.refresh[token] = "used"
        return self._issue(self.family[token])

    def _issue(self, family: int) -> Reply:
        now = int(time.time())
        n = next(self._ids)
        access = jwt.encode({"iss": self.issuer, "sub": PERSON["sub"], "aud": "lgsp-api",
                             "client_id": "lgsp-cli", "scope": self.granted_scope,
                             "exp": now + self.access_lifetime, "iat": now, "jti": f"at-{n}",
                             "sid": "s-1", "unit": PERSON["unit"], "roles": PERSON["roles"]},
                            KEY, algorithm="HS256", headers={"typ": "at+jwt"})
        refresh = f"refresh-token-{n}-opaque"
        self.access[access] = False
        self.refresh[refresh] = "active"
        self.family[refresh] = family
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  "expires_in": self.access_lifetime,
                                  "refresh_token": refresh, "scope": self.granted_scope}
        if self.with_id_token:
            answer["id_token"] = jwt.encode({"iss": self.issuer, "aud": "lgsp-cli",
                                             "exp": now + 300, "iat": now, **PERSON},
                                            KEY, algorithm="HS256")
        return _json(200, answer)

    # -- the hub's side: is this Bearer token good? ---------------------------------------

    def caller(self, token: str) -> str | Reply:
        if token not in self.access:
            return _hub_error(401, "token_invalid")
        claims = jwt.decode(token, KEY, algorithms=["HS256"], audience="lgsp-api",
                            options={"verify_exp": False})
        if self.every_token_expired or self.access[token] or claims["exp"] <= time.time():
            return _hub_error(401, "token_expired")
        return str(claims["unit"])
