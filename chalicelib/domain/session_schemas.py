"""Wire shapes of brokered calls (R-AUTH): services, grants, sessions, introspection, JWKS."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

from .model import Model
from .schemas import UNIT_CODE, Strict

SERVICE_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
SERVICE_REF = r"^[0-9A-Za-z.]{3,32}/[a-z0-9][a-z0-9-]{0,62}$"
SCOPE = r"^[a-z0-9][a-z0-9:._-]{0,63}$"
BASE_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
Scope = Annotated[str, Field(pattern=SCOPE)]


class RegisterServiceRequest(Strict):
    id: str = Field(pattern=SERVICE_ID, description="Slug, unique within the unit.")
    name: str = Field(min_length=1, max_length=200)
    base_url: str = Field(max_length=2048, pattern=BASE_URL,
                          description="Where sources call the service (http or https).")


class ServiceView(Model):
    unit: str
    id: str
    name: str
    base_url: str
    ref: str = Field(description="'<unit>/<id>': the session audience.")
    created_at: str


class ServiceList(Model):
    items: list[ServiceView]


class GrantedService(Strict):
    unit: str = Field(pattern=UNIT_CODE)
    id: str = Field(pattern=SERVICE_ID)


class CreateGrantRequest(Strict):
    source_unit: str = Field(pattern=UNIT_CODE)
    source_app: str | None = Field(default=None, pattern=r"^app-[0-9a-zA-Z]{1,64}$",
                                   description="Omit to grant every app of the unit.")
    service: GrantedService
    scopes: list[Scope] = Field(min_length=1, max_length=50,
                              description="Scopes the source may request.")

    def scope_list(self) -> list[str]:
        return sorted(set(self.scopes))


class GrantView(Model):
    id: str
    source_unit: str
    source_app: str | None
    service: str
    scopes: list[str]
    created_at: str
    created_by: str


class OpenSessionRequest(Strict):
    service: str = Field(pattern=SERVICE_REF, description="'<unit>/<service id>'.")
    scopes: list[Scope] | None = Field(default=None, max_length=50,
                                     description="Default: every granted scope.")


class SessionGrant(Model):
    token: str = Field(description="The session token (RS256 JWT); send it as "
                                   "'Authorization: Bearer <token>' to the service.")
    token_type: str = "Bearer"
    expires_in: int
    expires_at: str
    scope: str
    service: ServiceView


class ForwardedRequest(Strict):
    method: str = Field(pattern=r"^[A-Z]{3,7}$")
    url: str = Field(max_length=4096, pattern=r"^https?://")
    headers: dict[str, str] = Field(
        max_length=8, description="The source's signature headers as received: "
                                  "signature, signature-input, content-digest (if any).")


class IntrospectRequest(Strict):
    token: str = Field(min_length=1, max_length=8192)
    request: ForwardedRequest | None = Field(
        default=None, description="The source's signed call to verify as well (R-AUTH-5).")


class SourceIdentity(Model):
    unit: str
    app: str
    key_id: str


class Introspection(Model):
    """RFC 7662: only `active` when the token is not valid for the caller."""

    active: bool
    iss: str | None = None
    sub: str | None = None
    aud: str | None = None
    client_id: str | None = None
    scope: str | None = None
    iat: int | None = None
    exp: int | None = None
    jti: str | None = None
    token_type: str | None = None
    source: SourceIdentity | None = None
    request_verified: bool | None = Field(default=None, description="The forwarded call's "
                                          "signature verified (present when one was sent).")

    @model_serializer(mode="wrap")
    def _drop_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class Jwks(Model):
    keys: list[dict[str, Any]]


class WsTicket(Model):
    ticket: str = Field(description="Pass as `?ticket=` when opening the WebSocket; "
                                    "valid once, for a minute.")
    expires_at: str
    websocket_url: str | None = None
