"""Wire shapes of the service catalogue (R-COMP-3, R-JOIN-3, docs/catalogue.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .model import Model
from .schemas import Strict
from .session_schemas import SERVICE_ID, SERVICE_REF, Scope

HTTPS_URL = r"^https://[^\s/?#@]+(/[^\s?#]*)?$"
Category = Annotated[str, Field(min_length=1, max_length=60)]
EntryState = Literal["pending", "listed", "refused", "withdrawn"]
RequestState = Literal["pending", "granted", "refused", "revoked"]
MAX_RATE_PER_MINUTE = 100_000
_RATE = ("The calls a minute the grant allows through the hub's proxy (1-100000); null: "
         "the hub's default (`LGSP_PROXY_RATE_PER_MINUTE`).")


class PublishRequest(Strict):
    id: str = Field(pattern=SERVICE_ID, description="Slug, unique within the unit; the "
                    "service id of brokered sessions (`<unit>/<id>`).")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)
    base_url: str = Field(max_length=2048, pattern=HTTPS_URL,
                          description="Where consumers call the service (https).")
    openapi_url: str | None = Field(default=None, max_length=2048, pattern=HTTPS_URL,
                                    description="Where the OpenAPI document is published "
                                                "(the hub does not fetch it).")
    openapi_document: str | None = Field(
        default=None, description="The OpenAPI 3.x document as JSON text, at most 1 MiB "
                                  "of UTF-8 (413 `openapi_too_large`).")
    data_categories: list[Category] = Field(min_length=1, max_length=20,
                                            description="The kinds of data it exposes.")
    terms: str = Field(min_length=1, max_length=4000, description="Terms of use.")
    scopes: list[Scope] = Field(default_factory=list, max_length=50,
                                description="Scopes consumers may ask for (none: `call`).")

    @model_validator(mode="after")
    def _one_document(self) -> PublishRequest:
        if self.openapi_url is None and self.openapi_document is None:
            raise ValueError("give openapi_url or openapi_document (or both)")
        return self


class CatalogueEntry(Model):
    ref: str = Field(description="'<unit>/<id>': the service of brokered sessions.")
    unit: str
    id: str
    name: str
    description: str
    base_url: str
    data_categories: list[str]
    terms: str
    scopes: list[str]
    openapi_url: str | None = None
    openapi_uploaded: bool
    state: EntryState
    reason: str | None = Field(default=None, description="Why it was refused.")
    published_at: str
    published_by: str
    decided_at: str | None = None
    decided_by: str | None = None


class CataloguePage(Model):
    query: str | None = None
    items: list[CatalogueEntry]
    next_cursor: str | None = None


class OpenApiView(Model):
    ref: str
    url: str | None = None
    document: dict[str, Any] | None = Field(default=None, description="The uploaded "
                                            "document (None when only a URL was given).")


class Reason(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class AccessRequestBody(Strict):
    service: str = Field(pattern=SERVICE_REF, description="'<unit>/<service id>'.")
    app: str = Field(pattern=r"^app-[0-9a-zA-Z]{1,64}$",
                     description="The requesting unit's app that will call the service.")
    scopes: list[Scope] | None = Field(default=None, max_length=50,
                                       description="Default: every scope it declares.")
    purpose: str = Field(min_length=1, max_length=1000, description="What the data is for.")


class GrantBody(Strict):
    rate_per_minute: int | None = Field(default=None, ge=1, le=MAX_RATE_PER_MINUTE,
                                        description=_RATE)


class AccessChange(Strict):
    rate_per_minute: int | None = Field(ge=1, le=MAX_RATE_PER_MINUTE, description=_RATE)


class UsageFigures(Model):
    calls: int
    failures: int = Field(description="Calls without a usable answer, or answered 5xx.")
    request_bytes: int = Field(description="The bodies the consumer's app sent.")
    answer_bytes: int = Field(description="The answers the service gave.")


class GrantUsage(Model):
    """A grant's calls through the hub's proxy (docs/catalogue.md, data-model C11)."""

    day: str = Field(description="Today in the province (Asia/Ho_Chi_Minh).")
    month: str
    today: UsageFigures
    this_month: UsageFigures


class AccessView(Model):
    id: str
    service: str
    provider_unit: str
    consumer_unit: str
    app: str
    scopes: list[str]
    purpose: str
    state: RequestState
    reason: str | None = None
    grant_id: str | None = Field(default=None, description="The grant of brokered "
                                 "sessions while granted (`DELETE /v1/grants/{id}`).")
    requested_at: str
    requested_by: str
    decided_at: str | None = None
    decided_by: str | None = None
    rate_per_minute: int | None = Field(default=None, description="While granted: the "
                                        "calls a minute the proxy allows (the grant's own, "
                                        "or the hub's default).")
    usage: GrantUsage | None = Field(default=None, description="The grant's calls through "
                                     "the proxy (in `GET /v1/catalogue/requests/{id}` "
                                     "only, once granted).")


class AccessPage(Model):
    role: Literal["provider", "consumer"]
    items: list[AccessView]
    next_cursor: str | None = None
