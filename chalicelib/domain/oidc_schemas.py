"""Wire shapes of the apps registered with the single sign-on (docs/sso.md)."""

from __future__ import annotations

from pydantic import Field

from .model import Model


class SsoApp(Model):
    client_id: str
    unit: str | None
    name: str
    client_type: str = Field(description="confidential | public")
    token_endpoint_auth_method: str = Field(
        description="client_secret_basic | private_key_jwt | none")
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None = None
    status: str = Field(description="active | disabled")


class SsoApps(Model):
    items: list[SsoApp]
    discovery_url: str


class SsoSecret(Model):
    client_id: str
    client_secret: str = Field(description="Shown only in this answer; the old secret "
                                           "stopped working")
