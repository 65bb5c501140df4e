"""A small OpenID Connect provider for testing relying parties without the hub.

It serves discovery, JWKS, an authorize endpoint that approves at once (redirects straight
back with a code: no login page), a token endpoint (code with PKCE S256 and
client_secret_basic, refresh with rotation) and an end-session endpoint. Tokens are signed
with a test RSA key through PyJWT. Knobs let a test make the provider misbehave
(`id_token_claims`, `id_token_key`) and mint logout tokens (`logout_token`).

    with serve_fake_op({"app-a": "secret"}) as op:
        app = make_app(op.discovery_url, "app-a", "secret", base, "App A")
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
KID = "test-key-1"


@cache
def signing_key() -> rsa.RSAPrivateKey:
    """The provider's key (made once per test process: RSA generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def other_key() -> rsa.RSAPrivateKey:
    """A key the provider does not publish: what it signs must be refused."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


PERSON = {"sub": "person-1", "name": "Nguyễn Văn A",
          "preferred_username": "nva@000.00.12.H40@bacgiang.gov.vn", "unit": "000.00.12.H40"}


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    sid: str
    scope: str


@dataclass
class FakeOp:
    clients: dict[str, str | None]  # client_id -> secret (None: a public client)
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=lambda: dict(PERSON))
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # e.g. {"aud": ...}
    id_token_key: rsa.RSAPrivateKey | None = None  # None: the published key
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    used_refresh_tokens: set[str] = field(default_factory=set)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    sids: list[str] = field(default_factory=list)  # one SSO session per authorize

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "backchannel_logout_supported": True, "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key().public_key()))
        return {"keys": [public | {"kid": KID, "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None,
             typ: str = "JWT") -> str:
        return jwt.encode(claims, key or signing_key(), algorithm="RS256",
                          headers={"kid": KID, "typ": typ})

    def logout_token(self, client_id: str, key: rsa.RSAPrivateKey | None = None,
                     **claims: Any) -> str:
        """A back-channel logout token; a claim given as None is left out."""
        now = int(time.time())
        body = {"iss": self.issuer, "aud": client_id, "iat": now, "exp": now + 120,
                "jti": secrets.token_hex(8), "sub": self.person["sub"],
                "sid": self.sids[-1] if self.sids else "no-session",
                "events": {BACKCHANNEL_EVENT: {}}} | claims
        return self.sign({k: v for k, v in body.items() if v is not None}, key, "logout+jwt")

    # -- endpoints --------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorize_requests.append(query)
        if query.get("client_id") not in self.clients or query.get("code_challenge_method") \
                != "S256" or query.get("response_type") != "code":
            return 400, {}, b"bad authorize request"
        sid = secrets.token_hex(8)
        self.sids.append(sid)
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(query["client_id"], query["redirect_uri"],
                                 query.get("nonce", ""), query["code_challenge"], sid,
                                 query.get("scope", ""))
        back = urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": f"{query['redirect_uri']}?{back}"}, b""

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        client_id = self._client(authorization, form.get("client_id", ""))
        if client_id is None:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant is None or grant.client_id != client_id or grant.challenge != challenge \
                    or grant.redirect_uri != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
        elif form.get("grant_type") == "refresh_token":
            old = form.get("refresh_token", "")
            grant = self.refresh_tokens.pop(old, None)  # rotation: each is good once
            if grant is None or grant.client_id != client_id:
                return 400, {"error": "invalid_grant"}
            self.used_refresh_tokens.add(old)
        else:
            return 400, {"error": "unsupported_grant_type"}
        return 200, self._tokens(grant, form.get("grant_type") == "authorization_code")

    def _client(self, authorization: str, form_client_id: str) -> str | None:
        """client_secret_basic, or `none` (client_id in the form) for a public client."""
        kind, _, value = authorization.partition(" ")
        if not authorization and form_client_id in self.clients:
            return form_client_id if self.clients[form_client_id] is None else None
        if kind.lower() != "basic":
            return None
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
        client_id, secret = unquote(client_id), unquote(secret)
        return client_id if self.clients.get(client_id) == secret else None

    def _tokens(self, grant: Grant, with_id_token: bool) -> dict[str, Any]:
        now = int(time.time())
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = grant
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  "expires_in": 300, "refresh_token": refresh,
                                  "scope": grant.scope}
        if with_id_token:
            claims = {"iss": self.issuer, "aud": grant.client_id, "iat": now,
                      "exp": now + 300, "auth_time": now, "nonce": grant.nonce,
                      "sid": grant.sid, "at_hash": at_hash(access)} | self.person
            claims |= self.id_token_claims  # a claim overridden with None is left out
            answer["id_token"] = self.sign({k: v for k, v in claims.items() if v is not None},
                                           self.id_token_key)
        return answer


def _handler(op: FakeOp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/sso/.well-known/openid-configuration":
                self._json(200, op.discovery())
            elif url.path == "/sso/jwks":
                self._json(200, op.jwks())
            elif url.path == "/sso/authorize":
                self._send(*op.authorize(query))
            elif url.path == "/sso/logout":
                target = f"{query['post_logout_redirect_uri']}?" + urlencode(
                    {"state": query.get("state", "")})
                self._send(302, {"Location": target}, b"")
            else:
                self._send(404, {}, b"not found")

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if urlsplit(self.path).path == "/sso/token":
                self._json(*op.token(form, self.headers.get("Authorization", "")))
            else:
                self._send(404, {}, b"not found")

        def _json(self, status: int, data: dict[str, Any]) -> None:
            self._send(status, {"Content-Type": "application/json"}, json.dumps(data).encode())

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in (headers | {"Content-Length": str(len(body))}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def serve_fake_op(clients: dict[str, str | None]) -> Iterator[FakeOp]:
    """Serve a fake provider on a loopback port (issuer `http://127.0.0.1:<port>/sso`)."""
    op = FakeOp(clients)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(op))
    server.block_on_close = False  # a browser keeps idle connections open
    op.issuer = f"http://127.0.0.1:{server.server_address[1]}/sso"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield op
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post_logout_token(app_base: str, token: str) -> requests.Response:
    """What the hub does at logout: POST the token to the app's back-channel URI."""
    return requests.post(f"{app_base}/backchannel-logout", data={"logout_token": token},
                         timeout=10)
