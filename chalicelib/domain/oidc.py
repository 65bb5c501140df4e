"""The rules of the hub's OpenID Connect provider (R-COMP-6, R-SSO-1): lifetimes, scopes,
claims, registered URLs, and the logout token. The protocol itself is Authlib's
(`services/oidc_server.py`); this module decides what goes into it.
"""

from __future__ import annotations

from typing import Any

CODE_SECONDS = 60  # an authorization code, single use
ACCESS_SECONDS = 300  # access tokens are short-lived
ID_TOKEN_SECONDS = 300
REFRESH_SECONDS = 8 * 3600  # a refresh family lives at most one working day
SESSION_SECONDS = 8 * 3600  # the person's SSO session (the cookie)
DEVICE_SECONDS = 600  # a device code (RFC 8628)
DEVICE_INTERVAL = 5
LOGOUT_TOKEN_SECONDS = 120

CLI_CLIENT = "lgsp-cli"  # the built-in public client of the `lgsp` CLI (device flow)
CONSOLE_CLIENT = "lgsp-console"  # the built-in client of the web console (code flow)
API_AUDIENCE = "lgsp-api"  # tokens the hub's admin API accepts
ADMIN_SCOPE = "lgsp:admin"
SCOPES = ("openid", "profile", "email", "unit", "offline_access", ADMIN_SCOPE)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
CONFIDENTIAL, PUBLIC = "confidential", "public"
AUTH_METHODS = ("client_secret_basic", "private_key_jwt", "none")
ACTIVE, DISABLED = "active", "disabled"


def console_callback(issuer: str) -> str:
    """Where the SSO sends a person back to the console: beside the issuer (`<base>/sso`)."""
    return issuer.removesuffix("/sso") + "/console/callback"


def scope_list(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if s]


def allowed_scope(requested: str | None, *, first_party: bool) -> str:
    """The requested scopes the client may have (unknown ones dropped; `lgsp:admin` only
    for the hub's own clients)."""
    granted = [s for s in scope_list(requested) if s in SCOPES]
    if not first_party:
        granted = [s for s in granted if s != ADMIN_SCOPE]
    return " ".join(dict.fromkeys(granted))


def user_claims(person: dict[str, Any], unit_name: str, scope: str) -> dict[str, Any]:
    """The claims of a person for `scope` (id_token and userinfo alike)."""
    scopes = set(scope_list(scope))
    claims: dict[str, Any] = {"sub": person["sub"]}
    if "profile" in scopes:
        claims |= {"name": person["name"], "preferred_username": person["account"]}
    if "email" in scopes and person.get("email"):
        claims |= {"email": person["email"], "email_verified": False}
    if "unit" in scopes:
        claims |= {"unit": person["unit"], "unit_name": unit_name,
                   "roles": list(person["roles"])}
    return claims


def access_claims(*, issuer: str, person: dict[str, Any], client_id: str, scope: str,
                  now: int, jti: str, sid: str | None, family: str) -> dict[str, Any]:
    """An RFC 9068 access token's claims; the hub's API is an audience only for
    `lgsp:admin` tokens."""
    audience = [API_AUDIENCE] if ADMIN_SCOPE in scope_list(scope) else [client_id]
    return {"iss": issuer, "sub": person["sub"], "aud": audience, "client_id": client_id,
            "scope": scope, "iat": now, "exp": now + ACCESS_SECONDS, "jti": jti,
            "sid": sid, "fam": family, "unit": person["unit"],
            "roles": list(person["roles"])}


def logout_claims(*, issuer: str, client_id: str, sub: str, sid: str, now: int,
                  jti: str) -> dict[str, Any]:
    """A back-channel logout token (OpenID Connect Back-Channel Logout 1.0, 2.4)."""
    return {"iss": issuer, "aud": client_id, "iat": now, "exp": now + LOGOUT_TOKEN_SECONDS,
            "jti": jti, "sub": sub, "sid": sid, "events": {BACKCHANNEL_EVENT: {}}}


def registered(uri: str | None, uris: list[str]) -> bool:
    """Exact match, as OpenID Connect requires: no prefix, no wildcard."""
    return uri is not None and uri in uris


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "device_authorization_endpoint": f"{issuer}/device",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token",
                                  "urn:ietf:params:oauth:grant-type:device_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid",
                             "name", "preferred_username", "email", "email_verified",
                             "unit", "unit_name", "roles"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "ui_locales_supported": ["vi", "en"],
    }


def url_problem(url: str, *, allow_http: bool = False) -> str | None:
    """Why an app's registered URL is refused: https only, except an http loopback (a
    desktop app, RFC 8252 7.3) or, when the operator allows it, http on-prem; no
    fragment, no user info."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.fragment or "#" in url:
        return "a URL with a fragment"
    if not parts.hostname or parts.username or parts.password:
        return "a URL needs a host and no user info"
    if parts.scheme == "https":
        return None
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme == "http" and (loopback or allow_http):
        return None
    return "must be https (http only for 127.0.0.1)"
