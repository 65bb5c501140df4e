"""The hub's OpenID Connect provider, assembled from Authlib's grants and endpoints
(authorization code + PKCE S256 + OpenID, refresh with rotation, device flow, client
authentication by `client_secret_basic` or `private_key_jwt`, revocation, RP-initiated
logout). Authlib does the protocol; `oidc_grants`/`oidc_device` keep the state in the
table; `domain/oidc` decides lifetimes and claims. One server per request: nothing is
kept in the process between requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload, grants
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant
from authlib.oauth2.rfc8628.errors import (
    AuthorizationPendingError,
    ExpiredTokenError,
    SlowDownError,
)
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc.jwk import KeySet, RSAKey

from chalicelib.adapters import credentials, hub_keys
from chalicelib.domain import keys, oidc as rules
from chalicelib.services import hub_signing, oidc_device, oidc_grants
from chalicelib.services.deps import Deps
from chalicelib.services.oidc_grants import Subject

AUTH_METHODS = ["client_secret_basic", "private_key_jwt", "none"]


@dataclass(frozen=True)
class Incoming:
    """An HTTP request as the provider reads it (built by the API layer)."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive (chalice's request headers)
    query: dict[str, list[str]]
    form: dict[str, list[str]]


class _Payload(OAuth2Payload):
    def __init__(self, incoming: Incoming) -> None:
        merged: dict[str, list[str]] = defaultdict(list)
        for source in (incoming.query, incoming.form):
            for name, values in source.items():
                merged[name].extend(values)
        self._datalist = merged
        self._data = {name: values[0] for name, values in merged.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):
    def __init__(self, incoming: Incoming) -> None:
        super().__init__(incoming.method, incoming.url, headers=incoming.headers)
        self.payload = _Payload(incoming)
        self._incoming = incoming

    @property
    def args(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._incoming.query.items()}

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._incoming.form.items()}


class Provider(AuthorizationServer):
    def __init__(self, deps: Deps, issuer: str) -> None:
        super().__init__(scopes_supported=list(rules.SCOPES))
        self.deps, self.issuer = deps, issuer
        self.family: str | None = None  # the token family of this request's grant
        self.ending_sid: str | None = None
        self.register_grant(_CodeGrant, [_S256Required(required=True), _OpenIDCode()])
        self.register_grant(_RefreshGrant)
        self.register_grant(_DeviceGrant)
        self.register_endpoint(_DeviceEndpoint)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_EndSession)
        self.register_client_auth_method("private_key_jwt",
                                         _KeyAssertion(deps, f"{issuer}/token"))

    # Authlib's framework hooks
    def query_client(self, client_id: str) -> oidc_grants.Client | None:
        return oidc_grants.query_client(self.deps, client_id, self.issuer)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else _Request(request)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("the provider takes no JSON requests")

    def handle_response(self, status: int, body: Any, headers: Any
                        ) -> tuple[int, Any, dict[str, str]]:
        return status, body, dict(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def generate_token(  # noqa: PLR0917 (Authlib's signature)
            self, grant_type: str, client: oidc_grants.Client, user: Subject | None = None,
            scope: str | None = None, expires_in: int | None = None,
            include_refresh_token: bool = True) -> dict[str, Any]:
        assert user is not None and self.family is not None
        key, now = hub_signing.current_key(self.deps), self.deps.clock.now()
        scope = client.get_allowed_scope(scope)
        claims = rules.access_claims(issuer=self.issuer, person=user.person,
                                     client_id=client.get_client_id(), scope=scope, now=now,
                                     jti=self.deps.ids.new_id(), sid=user.sid,
                                     family=self.family)
        token = {"token_type": "Bearer", "expires_in": rules.ACCESS_SECONDS, "scope": scope,
                 "access_token": hub_keys.sign(claims, key.private_pem, key.kid,
                                               typ="at+jwt")}
        if include_refresh_token:
            token["refresh_token"] = credentials.new_secret()
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if "refresh_token" not in token or self.family is None:
            return
        user: Subject = request.user
        oidc_grants.save_refresh(self.deps, token["refresh_token"], family=self.family,
                                 client_id=request.client.get_client_id(),
                                 account=user.person["account"], scope=token["scope"],
                                 sid=user.sid)

    def signing_key(self) -> RSAKey:
        key = hub_signing.current_key(self.deps)
        return RSAKey.import_key(key.private_pem, {"kid": key.kid, "alg": "RS256"})


class _S256Required(CodeChallenge):
    """PKCE for every client, S256 only (a `plain` challenge or none is refused)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with "
                                      "code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    server: Provider

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        payload = request.payload
        oidc_grants.save_code(
            self.server.deps, code, client_id=request.client.get_client_id(),
            redirect_uri=payload.redirect_uri, scope=request.client.get_allowed_scope(
                payload.scope), nonce=payload.data.get("nonce"),
            challenge=payload.data.get("code_challenge"),
            method=payload.data.get("code_challenge_method"), subject=request.user)

    def query_authorization_code(self, code: str, client: oidc_grants.Client
                                 ) -> oidc_grants.CodeRecord | None:
        return oidc_grants.find_code(self.server.deps, code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: Any) -> None:
        return None  # redeemed (marked used) before the tokens were made

    def authenticate_user(self, authorization_code: oidc_grants.CodeRecord) -> Subject:
        redeemed = oidc_grants.redeem_code(self.server.deps, authorization_code)
        if redeemed is None:
            raise InvalidGrantError("The code was already used.")
        self.server.family = redeemed[1]
        return redeemed[0]


class _OpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # the nonce binds the id_token to the app's session; not a replay key

    def resolve_client_private_key(self, client: oidc_grants.Client) -> RSAKey:
        return self._server.signing_key()

    def get_encode_header(self, client: oidc_grants.Client) -> dict[str, str]:
        key = self._server.signing_key()
        return {"alg": "RS256", "kid": str(key.kid), "typ": "JWT"}

    def get_client_algorithm(self, client: oidc_grants.Client) -> str:
        return "RS256"

    def get_client_claims(self, client: oidc_grants.Client) -> dict[str, Any]:
        now = self._server.deps.clock.now()
        return {"iss": self._server.issuer, "aud": [client.get_client_id()], "iat": now,
                "exp": now + rules.ID_TOKEN_SECONDS}

    def generate_user_info(self, user: Subject, scope: str) -> UserInfo:
        claims = oidc_grants.claims_of(self._server.deps, user, scope)
        if user.sid:
            claims["sid"] = user.sid
        return UserInfo(claims)

    def __call__(self, grant: _CodeGrant) -> None:
        self._server = grant.server
        super().__call__(grant)


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: Provider

    def authenticate_refresh_token(self, refresh_token: str) -> oidc_grants.RefreshRecord | None:
        return oidc_grants.find_refresh(self.server.deps, refresh_token)

    def authenticate_user(self, refresh_token: oidc_grants.RefreshRecord) -> Subject | None:
        subject = oidc_grants.redeem_refresh(self.server.deps, refresh_token)
        self.server.family = refresh_token.item["family"]
        return subject

    def revoke_old_credential(self, refresh_token: Any) -> None:
        return None  # redeemed before the new tokens were made


class _DeviceGrant(DeviceCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    server: Provider

    def query_device_credential(self, device_code: str) -> oidc_grants.DeviceRecord | None:
        item = oidc_device.find(self.server.deps, device_code)
        return oidc_grants.DeviceRecord(item, self.server.deps.clock.now()) if item else None

    def query_user_grant(self, user_code: str) -> tuple[Subject | None, bool] | None:
        return None  # decided in validate_device_credential from the device item itself

    def should_slow_down(self, credential: oidc_grants.DeviceRecord) -> bool:
        return oidc_device.polled_too_soon(self.server.deps, credential.item)

    def validate_device_credential(self, credential: oidc_grants.DeviceRecord) -> Subject:
        from chalicelib.services import people
        deps, item = self.server.deps, credential.item
        if credential.is_expired() or item["state"] == oidc_device.CONSUMED:
            raise ExpiredTokenError()
        if item["state"] == oidc_device.DENIED:
            raise AccessDeniedError()
        if item["state"] == oidc_device.PENDING:
            if self.should_slow_down(credential):
                raise SlowDownError()
            raise AuthorizationPendingError()
        person = people.load(deps, item["account"])
        if person is None or person["status"] != "active" or not oidc_device.consume(deps, item):
            raise ExpiredTokenError()
        self.server.family = oidc_grants.open_device_family(
            deps, client_id=item["client_id"], account=item["account"])
        return Subject(person)


class _DeviceEndpoint(DeviceAuthorizationEndpoint):
    CLIENT_AUTH_METHODS = ["none", "client_secret_basic"]
    EXPIRES_IN = rules.DEVICE_SECONDS
    INTERVAL = rules.DEVICE_INTERVAL
    server: Provider

    def get_verification_uri(self) -> str:
        return f"{self.server.issuer}/device/verify"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        client = self.server.query_client(client_id)
        oidc_device.save(self.server.deps, client_id=client_id,
                         scope=client.get_allowed_scope(scope) if client else "",
                         device_code=data["device_code"], user_code=data["user_code"])


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS
    server: Provider

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        record = oidc_grants.find_refresh(self.server.deps, token_string)
        return record

    def revoke_token(self, token: oidc_grants.RefreshRecord, request: OAuth2Request) -> None:
        oidc_grants.revoke_refresh_family(self.server.deps, token.item["family"])


class _EndSession(EndSessionEndpoint):
    server: Provider

    def get_server_jwks(self) -> KeySet:
        return KeySet.import_key_set({"keys": hub_signing.jwks(self.server.deps)})

    def get_algorithms(self) -> list[str]:
        return ["RS256"]

    def is_post_logout_redirect_uri_legitimate(self, request: OAuth2Request, uri: str,
                                               client: Any, logout_hint: str | None) -> bool:
        """Without an id_token_hint, the registered URI of an app the person's current
        session signed them in to (the session is the other proof, rpinitiated 3)."""
        sid = self.server.ending_sid
        return bool(sid and client and self.server.deps.table.get(
            *keys.sso_session_client(sid, client.get_client_id())))

    def end_session(self, end_session_request: Any) -> None:
        from chalicelib.services import sso_sessions
        if self.server.ending_sid:
            sso_sessions.end(self.server.deps, self.server.ending_sid, self.server.issuer)


class _KeyAssertion(JWTBearerClientAssertion):
    """private_key_jwt (RFC 7523): the client signs an assertion with its own key,
    registered with its form 08 as a JWKS; each assertion is accepted once."""

    def __init__(self, deps: Deps, token_url: str) -> None:
        super().__init__(validate_jti=True)
        self.deps, self.token_url = deps, token_url

    def get_audiences(self) -> list[str]:
        return [self.token_url]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return oidc_grants.assertion_first_use(self.deps, str(claims["sub"]), jti,
                                               int(claims.get("exp") or 0))

    def resolve_client_public_key(self, client: oidc_grants.Client) -> KeySet:
        return KeySet.import_key_set(client.item.get("jwks") or {"keys": []})
