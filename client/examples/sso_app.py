"""A tiny web app that signs people in and out through the hub's single sign-on (OpenID Connect).

An example relying party built with requests-oauthlib (code flow, PKCE S256) and PyJWT
(id_token and logout token checks against the hub's JWKS); client/README.md says how to
register and run it. Pages: `/` (who is signed in), `/login`, `/callback`, `/logout`,
`/refresh` (POST) and `/backchannel-logout` (POST, from the hub). Sessions live in memory,
keyed by an HttpOnly, SameSite=Lax cookie.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from requests_oauthlib import OAuth2Session  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded by path
from sso_provider import TIMEOUT, Provider, Refused  # noqa: E402 (the example's other module)

log = logging.getLogger("sso_app")

SCOPE = ("openid", "profile", "email", "unit", "offline_access")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
PENDING_SECONDS = 600  # how long a started sign-in may take
MAX_BODY = 64 * 1024
Params = dict[str, list[str]]


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Pending:
    oauth: OAuth2Session  # holds the PKCE verifier of a sign-in started at /login
    nonce: str
    started: float


@dataclass
class BrowserSession:
    pending: dict[str, Pending] = field(default_factory=dict)  # by state
    claims: dict[str, Any] | None = None  # the id_token's claims once signed in
    id_token: str = ""
    token: dict[str, Any] = field(default_factory=dict)
    logout_state: str = ""


def _one(params: Params, name: str) -> str:
    return params.get(name, [""])[0]


def _page(title: str, body: str, status: int = 200) -> Answer:
    title = html.escape(title)
    return Answer(status, f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                          f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>")


def _redirect(location: str, cookie: str = "") -> Answer:
    return Answer(303, "", {"Location": location} | ({"Set-Cookie": cookie} if cookie else {}))


class SsoApp:
    """The relying party: its settings, its sessions and one method per page."""

    def __init__(self, discovery_url: str, client_id: str, client_secret: str | None,
                 base_url: str, name: str) -> None:
        self.provider = Provider(discovery_url)
        self.client_id = client_id
        self.client_secret = client_secret or None  # None: a public client
        self.base_url = base_url.rstrip("/")
        self.name = name
        # Cookies ignore ports: two apps on one host need two names.
        self.cookie_name = "sso_app_" + hashlib.sha256(self.base_url.encode()).hexdigest()[:12]
        self._sessions: dict[str, BrowserSession] = {}
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []

    def start(self, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
        """Serve on `port` from a background thread until `stop()`."""
        server = ThreadingHTTPServer((host, port), _handler(self))
        server.block_on_close = False
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         name=f"sso-app-{port}", daemon=True).start()
        return server

    def stop(self) -> None:
        """Stop serving (connections a browser keeps open are not waited for)."""
        while self._servers:
            server = self._servers.pop()
            server.shutdown()
            server.server_close()

    def handle(self, method: str, target: str, cookie: str, body: bytes = b"") -> Answer:
        """One request; the page gets the query's (GET) or the form's (POST) fields."""
        path, _, query = target.partition("?")
        page = ROUTES.get((method, path))
        if page is None:
            return _page("Not found", '<p id="error">No such page.</p>', 404)
        try:
            return page(self, cookie, parse_qs(body.decode("utf-8", "replace") or query))
        except Refused as exc:
            log.info("refused: %s", exc.code)
            return _page(f"{self.name}: refused", f'<p id="error">{html.escape(exc.code)}: '
                         f'{html.escape(exc.message)}</p><p><a href="/">Back</a></p>', exc.status)

    def home(self, cookie: str, params: Params) -> Answer:
        notice = ""
        with self._lock:
            session = self._sessions.get(cookie) or BrowserSession()
            if session.logout_state and hmac.compare_digest(session.logout_state,
                                                            _one(params, "state")):
                session.logout_state = ""
                notice = '<p id="notice">You have signed out.</p>'
            claims, token = session.claims, dict(session.token)
        if claims is None:
            return _page(self.name, f'{notice}<p id="status">Not signed in</p>'
                         '<p><a id="login" href="/login">Sign in with the hub</a></p>')
        return self._signed_in(claims, token, notice)

    def login(self, cookie: str, params: Params) -> Answer:
        oauth = OAuth2Session(self.client_id, redirect_uri=f"{self.base_url}/callback",
                              scope=list(SCOPE), pkce="S256")
        nonce = secrets.token_urlsafe(24)
        url, state = oauth.authorization_url(self.provider.get("authorization_endpoint"),
                                             nonce=nonce)
        now = time.monotonic()
        with self._lock:
            if cookie not in self._sessions:
                cookie = secrets.token_urlsafe(32)
                self._sessions[cookie] = BrowserSession()
            session = self._sessions[cookie]
            session.pending = {key: value for key, value in session.pending.items()
                               if now - value.started < PENDING_SECONDS}
            session.pending[state] = Pending(oauth, nonce, now)
        return _redirect(url, self._cookie(cookie))

    def callback(self, cookie: str, params: Params) -> Answer:
        with self._lock:
            session = self._sessions.get(cookie)
            pending = session.pending.pop(_one(params, "state"), None) if session else None
        if pending is None or time.monotonic() - pending.started >= PENDING_SECONDS:
            raise Refused("state_mismatch", "This sign-in was not started here or has expired. "
                          "Please sign in again.")
        if "error" in params:
            raise Refused(_one(params, "error"), _one(params, "error_description"))
        token = self._exchange(pending, _one(params, "code"))
        claims = self._check_id_token(token, pending.nonce)
        fresh = secrets.token_urlsafe(32)  # a new cookie at sign-in (no session fixation)
        with self._lock:
            self._sessions.pop(cookie, None)
            self._sessions[fresh] = BrowserSession(claims=claims, id_token=token["id_token"],
                                                   token=token)
        return _redirect("/", self._cookie(fresh))

    def logout(self, cookie: str, params: Params) -> Answer:
        with self._lock:
            session = self._sessions.pop(cookie, None)
        if session is None or session.claims is None:
            return _redirect("/")
        state, fresh = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[fresh] = BrowserSession(logout_state=state)
        endpoint = self.provider.get("end_session_endpoint")
        query = urlencode({"id_token_hint": session.id_token, "client_id": self.client_id,
                           "post_logout_redirect_uri": f"{self.base_url}/", "state": state})
        return _redirect(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
                         self._cookie(fresh))

    def refresh(self, cookie: str, params: Params) -> Answer:
        with self._lock:
            session = self._sessions.get(cookie)
        if session is None or session.claims is None:
            return _redirect("/")
        if not session.token.get("refresh_token"):
            raise Refused("no_refresh_token", "the hub gave no refresh token (offline_access)")
        oauth = OAuth2Session(self.client_id)  # no scope: the one granted at sign-in
        extra = {} if self.client_secret else {"client_id": self.client_id}
        try:
            token = dict(oauth.refresh_token(
                self.provider.get("token_endpoint"), refresh_token=session.token["refresh_token"],
                auth=self._auth(), timeout=TIMEOUT, **extra))
        except OAuth2Error as exc:  # e.g. invalid_grant: the hub ended this sign-in
            with self._lock:
                self._sessions.pop(cookie, None)
            raise Refused("refresh_failed", exc.error or "refused", 401) from exc
        except (requests.RequestException, ValueError) as exc:
            raise Refused("hub_unavailable", str(exc), 502) from exc
        if "id_token" in token:  # OpenID Connect Core 12.2: the same person, checked again
            fresh = self.provider.decode(token["id_token"], self.client_id,
                                         ["iss", "sub", "aud", "exp", "iat"])
            if fresh["sub"] != session.claims["sub"]:
                raise Refused("token_invalid", "the refreshed id_token names someone else", 502)
        with self._lock:
            session.token = token
            session.id_token = token.get("id_token", session.id_token)
        return self._signed_in(session.claims, token, '<p id="notice">Tokens refreshed.</p>')

    def backchannel_logout(self, cookie: str, params: Params) -> Answer:
        """OpenID Connect Back-Channel Logout 1.0, section 2.8: the hub ends a session."""
        try:
            tokens = params.get("logout_token", [])
            if len(tokens) != 1:
                raise Refused("invalid_request", "one logout_token is required")
            claims = self._check_logout_token(tokens[0])
        except Refused as exc:
            log.info("back-channel logout refused: %s", exc)
            text = '{"error": "invalid_request", "error_description": "bad logout token"}'
            return Answer(400, text, content_type="application/json")
        sid, sub = claims.get("sid"), claims.get("sub")
        with self._lock:
            ended = [key for key, session in self._sessions.items() if session.claims
                     and (not sid or session.claims.get("sid") == sid)
                     and (not sub or session.claims.get("sub") == sub)]
            for key in ended:
                del self._sessions[key]
        log.info("back-channel logout ended %d session(s)", len(ended))
        return Answer(200, "", content_type="text/plain")

    def _auth(self) -> requests.auth.HTTPBasicAuth | None:
        """client_secret_basic (RFC 6749 2.3.1: form-encoded, then Basic); None if public."""
        if self.client_secret is None:
            return None
        return requests.auth.HTTPBasicAuth(quote(self.client_id, safe=""),
                                           quote(self.client_secret, safe=""))

    def _exchange(self, pending: Pending, code: str) -> dict[str, Any]:
        if not code:
            raise Refused("invalid_request", "the hub sent no code")
        pending.oauth.scope = None  # the hub may grant fewer scopes than asked (RFC 6749 3.3)
        try:
            token = dict(pending.oauth.fetch_token(
                self.provider.get("token_endpoint"), code=code, auth=self._auth(),
                include_client_id=self.client_secret is None, timeout=TIMEOUT))
        except OAuth2Error as exc:
            raise Refused(exc.error or "token_refused", exc.description or "refused") from exc
        except (requests.RequestException, ValueError) as exc:
            raise Refused("hub_unavailable", str(exc), 502) from exc
        if not isinstance(token.get("id_token"), str):
            raise Refused("token_invalid", "the hub sent no id_token")
        return token

    def _check_id_token(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        """OpenID Connect Core 3.1.3.7: signature, iss, aud (azp), exp, iat, nonce, at_hash."""
        claims = self.provider.decode(token["id_token"], self.client_id,
                                      ["iss", "sub", "aud", "exp", "iat", "nonce"])
        if not hmac.compare_digest(str(claims["nonce"]), nonce):
            raise Refused("token_invalid", "the nonce is not the one this sign-in sent")
        if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 \
                and claims.get("azp") != self.client_id:
            raise Refused("token_invalid", "azp is not this app")
        digest = hashlib.sha256(str(token.get("access_token", "")).encode()).digest()
        at_hash = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
        if "at_hash" in claims and not hmac.compare_digest(str(claims["at_hash"]), at_hash):
            raise Refused("token_invalid", "at_hash does not match the access token")
        return claims

    def _check_logout_token(self, token: str) -> dict[str, Any]:
        claims = self.provider.decode(token, self.client_id,
                                      ["iss", "aud", "iat", "exp", "jti", "events"])
        events = claims["events"]
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
            raise Refused("invalid_request", "not a back-channel logout event")
        if "nonce" in claims:
            raise Refused("invalid_request", "a logout token carries no nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise Refused("invalid_request", "neither sid nor sub")
        return claims

    def _signed_in(self, claims: dict[str, Any], token: dict[str, Any], notice: str) -> Answer:
        who = (f"Signed in as {claims.get('name', '')} ({claims.get('preferred_username', '')})"
               f", unit {claims.get('unit', '')}")
        expires = token.get("expires_at")
        expiry = (datetime.fromtimestamp(float(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                  if expires else "unknown")
        refresh = ('<form method="post" action="/refresh"><button id="refresh" type="submit">'
                   "Refresh tokens</button></form>" if token.get("refresh_token") else "")
        return _page(self.name, f'{notice}<p id="status">{html.escape(who)}</p>'
                     f'<p id="access-expiry">Access token expires at {expiry}</p>{refresh}'
                     '<p><a id="logout" href="/logout">Sign out</a></p>')

    def _cookie(self, value: str) -> str:
        secure = "; Secure" if self.base_url.startswith("https://") else ""
        return f"{self.cookie_name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"


ROUTES: dict[tuple[str, str], Callable[[SsoApp, str, Params], Answer]] = {
    ("GET", "/"): SsoApp.home, ("GET", "/login"): SsoApp.login,
    ("GET", "/callback"): SsoApp.callback, ("GET", "/logout"): SsoApp.logout,
    ("POST", "/refresh"): SsoApp.refresh,
    ("POST", "/backchannel-logout"): SsoApp.backchannel_logout,
}


def _handler(app: SsoApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._send(app.handle("GET", self.path, self._cookie()))

        def do_POST(self) -> None:  # noqa: N802
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit() or int(length) > MAX_BODY:
                self.close_connection = True
                self._send(Answer(400, "bad Content-Length", content_type="text/plain"))
                return
            body = self.rfile.read(int(length))
            self._send(app.handle("POST", self.path, self._cookie(), body))

        def _cookie(self) -> str:
            try:
                morsel = SimpleCookie(self.headers.get("Cookie", "")).get(app.cookie_name)
            except CookieError:
                return ""
            return morsel.value if morsel else ""

        def _send(self, answer: Answer) -> None:
            body = answer.body.encode()
            self.send_response(answer.status)
            headers = {"Content-Type": answer.content_type, "Content-Length": str(len(body)),
                       "Cache-Control": "no-store", "Content-Security-Policy":
                       "default-src 'none'; form-action 'self'; frame-ancestors 'none'"}
            for name, value in (headers | answer.headers).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # The path only: a callback's query carries the code and the state.
            log.info("%s %s %s", self.command, urlsplit(self.path).path, code)

    return Handler


def make_app(discovery_url: str, client_id: str, client_secret: str | None, base_url: str,
             name: str) -> SsoApp:
    """The example app; `start(port)` serves it from a thread (`base_url` names that port)."""
    hub = urlsplit(discovery_url)
    if hub.scheme != "https":
        if hub.scheme != "http" or hub.hostname not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the hub must be reached over https (plain http: loopback only)")
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # a hub on this machine
    return SsoApp(discovery_url, client_id, client_secret, base_url, name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An example app signing in through the hub.")
    for option in ("--discovery-url", "--client-id", "--base-url"):
        parser.add_argument(option, required=True)
    parser.add_argument("--name", default="Example app")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = make_app(args.discovery_url, args.client_id, os.environ.get("SSO_CLIENT_SECRET"),
                   args.base_url, args.name)
    ThreadingHTTPServer((args.host, urlsplit(args.base_url).port or 80),
                        _handler(app)).serve_forever()


if __name__ == "__main__":
    main()
