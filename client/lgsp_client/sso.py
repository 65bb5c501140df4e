"""The hub's OpenID Connect provider as the `lgsp` CLI uses it (a public client, `lgsp-cli`).

- `discover(http, endpoint)`: read `<endpoint>/sso/.well-known/openid-configuration`.
- `start_device` and `poll_device`: the OAuth 2.0 Device Authorization Grant (RFC 8628):
  the person approves the user code in a browser, on this machine or another, while the
  CLI polls the token endpoint, honouring `interval` and `slow_down` (+5 s each time);
  `authorization_pending` goes on, `access_denied` and `expired_token` end it. Sleeping
  and the clock are parameters, so tests run the whole flow without waiting.
- `refresh` (`grant_type=refresh_token`; the hub rotates refresh tokens) and `revoke`
  (RFC 7009).
- `unverified_claims(token)`: a JWT's claims **for display only** (expiry, account, unit).

The CLI never verifies a token's signature: it only shows what a token says and decides
when to renew it; the hub verifies every token it is given.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from lgsp_client.errors import LgspError

CLIENT_ID = "lgsp-cli"
SCOPE = "openid profile unit offline_access lgsp:admin"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5
SLOW_DOWN_STEP = 5
MAX_INTERVAL = 60
TIMEOUT = (10.0, 30.0)
JSON = dict[str, Any]


class OAuthError(LgspError):
    """The provider refused (`code` = its OAuth `error`, e.g. `invalid_grant`), or could not
    be reached (`connection_failed`) or understood (`invalid_response`)."""

    def __init__(self, code: str, message: str, *, status: int = 0) -> None:
        super().__init__(message, code=code)
        self.status = status


class SignInDenied(OAuthError):
    """The person refused the request in the browser (`access_denied`)."""


class SignInExpired(OAuthError):
    """The user code expired before anyone approved it (`expired_token`)."""


@dataclass(frozen=True)
class Provider:
    """The endpoints the CLI needs, from the discovery document."""

    issuer: str
    token_endpoint: str
    device_authorization_endpoint: str
    revocation_endpoint: str
    userinfo_endpoint: str | None = None


@dataclass(frozen=True)
class DeviceCode:
    """What `POST <issuer>/device` answered. `device_code` is a secret: not in reprs."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def issuer_of(endpoint: str) -> str:
    """The hub's issuer: its public URL + `/sso`."""
    return f"{endpoint.rstrip('/')}/sso"


def _is_web_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _answer(response: requests.Response, what: str) -> JSON:
    """The JSON object of a successful answer; an `OAuthError` for an error answer, in
    the OAuth shape (`error`, `error_description`) or the hub's (`error.code`)."""
    if response.status_code < 400 and not response.content:
        return {}  # e.g. a revocation (RFC 7009 answers 200 with no body)
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code < 400 and isinstance(body, dict):
        return body
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        raise OAuthError(body["error"], str(body.get("error_description") or body["error"]),
                         status=response.status_code)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        raise OAuthError(str(error.get("code")), str(error.get("message")),
                         status=response.status_code)
    raise OAuthError("invalid_response" if response.status_code < 400
                     else f"http_{response.status_code}",
                     f"{what}: unexpected answer (HTTP {response.status_code})",
                     status=response.status_code)


def _request(http: requests.Session, method: str, url: str, what: str, *,
             data: Mapping[str, str] | None = None,
             headers: Mapping[str, str] | None = None) -> JSON:
    try:
        response = http.request(method, url, data=data, headers=dict(headers or {}),
                                timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise OAuthError("connection_failed", f"{what}: cannot reach {url} "
                         f"({type(exc).__name__})") from exc
    return _answer(response, what)


def discover(http: requests.Session, endpoint: str) -> Provider:
    """Read the hub's discovery document; its `issuer` must be the one asked for
    (OpenID Connect Discovery 1.0, section 4.3)."""
    issuer = issuer_of(endpoint)
    doc = _request(http, "GET", f"{issuer}/.well-known/openid-configuration",
                   "reading the sign-in settings")
    if doc.get("issuer") != issuer:
        raise OAuthError("invalid_response", f"the hub's sign-in settings name the issuer "
                         f"{doc.get('issuer')!r}, not {issuer!r}")
    needed = ("token_endpoint", "device_authorization_endpoint")
    missing = [name for name in needed if not _is_web_url(doc.get(name))]
    if missing:
        raise OAuthError("invalid_response",
                         f"the hub's sign-in settings lack {', '.join(missing)}")
    revocation, userinfo = doc.get("revocation_endpoint"), doc.get("userinfo_endpoint")
    return Provider(issuer=issuer, token_endpoint=str(doc["token_endpoint"]),
                    device_authorization_endpoint=str(doc["device_authorization_endpoint"]),
                    revocation_endpoint=str(revocation) if _is_web_url(revocation)
                    else f"{issuer}/revoke",
                    userinfo_endpoint=str(userinfo) if _is_web_url(userinfo) else None)


def start_device(http: requests.Session, provider: Provider, *,
                 scope: str = SCOPE) -> DeviceCode:
    """`POST <issuer>/device`: a device code to poll with and a user code to show."""
    doc = _request(http, "POST", provider.device_authorization_endpoint,
                   "starting the sign-in", data={"client_id": CLIENT_ID, "scope": scope})
    try:
        complete = doc.get("verification_uri_complete")
        code = DeviceCode(device_code=str(doc["device_code"]), user_code=str(doc["user_code"]),
                          verification_uri=str(doc["verification_uri"]),
                          verification_uri_complete=complete if _is_web_url(complete)
                          else None,
                          expires_in=int(doc["expires_in"]),
                          interval=max(1, int(doc.get("interval") or DEFAULT_INTERVAL)))
    except (KeyError, TypeError, ValueError) as exc:
        raise OAuthError("invalid_response",
                         f"starting the sign-in: the answer lacks {exc}") from exc
    if not _is_web_url(code.verification_uri):
        raise OAuthError("invalid_response", "starting the sign-in: no verification page")
    return code


def poll_device(http: requests.Session, provider: Provider, device: DeviceCode, *,
                sleep: Callable[[float], object] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> JSON:
    """Wait for the person's approval; returns the token answer.

    Raises `SignInDenied` (refused), `SignInExpired` (the code expired, by the provider's
    word or by `expires_in` passing here) or `OAuthError` (any other refusal). A provider
    that cannot be reached or answers 5xx is polled less often (the interval doubles, up to
    a minute), as RFC 8628 section 3.5 asks, until the code expires.
    """
    deadline = clock() + device.expires_in
    interval = float(device.interval)
    form = {"grant_type": DEVICE_GRANT, "device_code": device.device_code,
            "client_id": CLIENT_ID}
    while True:
        sleep(interval)
        if clock() >= deadline:
            raise SignInExpired("expired_token", "the code expired before the sign-in was "
                                "approved: run lgsp login again")
        try:
            return _request(http, "POST", provider.token_endpoint, "signing in", data=form)
        except OAuthError as exc:
            error = exc
        if error.code == "authorization_pending":
            continue
        if error.code == "slow_down":
            interval += SLOW_DOWN_STEP
        elif error.code == "connection_failed" or error.status >= 500:
            interval = min(interval * 2, MAX_INTERVAL)
        elif error.code == "access_denied":
            raise SignInDenied(error.code, "the sign-in was refused in the browser")
        elif error.code == "expired_token":
            raise SignInExpired(error.code, "the code expired before the sign-in was "
                                "approved: run lgsp login again")
        else:
            raise error


def refresh(http: requests.Session, token_endpoint: str, refresh_token: str) -> JSON:
    """A new access token (and, the hub rotating them, a new refresh token)."""
    return _request(http, "POST", token_endpoint, "renewing the sign-in",
                    data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                          "client_id": CLIENT_ID})


def revoke(http: requests.Session, revocation_endpoint: str, token: str,
           hint: str = "refresh_token") -> None:
    """RFC 7009: the token stops working (an unknown or used token is not an error)."""
    _request(http, "POST", revocation_endpoint, "signing out",
             data={"token": token, "token_type_hint": hint, "client_id": CLIENT_ID})


def userinfo(http: requests.Session, endpoint: str, access_token: str) -> JSON:
    """The person's claims from the provider (when the token answer had no id_token)."""
    return _request(http, "GET", endpoint, "reading who signed in",
                    headers={"Authorization": f"Bearer {access_token}"})


def unverified_claims(token: str | None) -> JSON:
    """A JWT's claims, **without checking its signature**: only to show who signed in and
    to know when the access token expires. Never use them to decide what anyone may do;
    the hub verifies every token it receives. `{}` for anything that is not a JWT."""
    if not token:
        return {}
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}
