"""What a route is (`RouteSpec`) and the parameters it declares (`QueryParam`): the one
declaration `api_route` (api/http.py) registers, authenticates, validates and renders by,
and `/openapi.json` describes.

A route names its wire models (`WireModels`) instead of importing them: a cold start
declares every route without importing pydantic or building a model (P5 in
docs/performance.md); the first call that parses, renders or describes one imports it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

JSON = "application/json"
# The methods API Gateway can route; a path answers each one it does not declare with 405.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})  # RFC 9110 9.2.2


@dataclass(frozen=True)
class QueryParam:
    """A query (or header) parameter; a required one's schema gives an `example`."""

    name: str
    description: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True)
class WireModel:
    """A pydantic model named by its module and class, imported when first used."""

    module: str
    name: str

    def load(self) -> type[BaseModel]:
        model: type[BaseModel] = getattr(importlib.import_module(self.module), self.name)
        return model


class WireModels:
    """The models of one schema module, named without importing it.

    >>> KEYS = WireModels("chalicelib.domain.access_key_schemas")
    >>> KEYS.KeyList
    WireModel(module='chalicelib.domain.access_key_schemas', name='KeyList')
    """

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> WireModel:
        if name.startswith("_"):
            raise AttributeError(name)
        return WireModel(self._module, name)


def load_model(model: type[BaseModel] | WireModel) -> type[BaseModel]:
    """The model class itself, importing its module if it is only named."""
    return model.load() if isinstance(model, WireModel) else model


@dataclass(frozen=True)
class RouteSpec:
    """What a route is: its call, its answer and what a caller may do after a failure.

    `response` is the JSON model of the answer (a class, or a `WireModel` naming it), or
    None when the route answers a file of `media_type`; `request` the body's model. A
    route is safe to retry when `idempotent` says so (default: by method, GET/PUT/DELETE
    yes, POST/PATCH no), or when the request carries `idempotency_header`; otherwise
    `before_retry` tells the caller what to check first (required).
    """

    method: str
    path: str
    summary: str
    response: type[BaseModel] | WireModel | None
    status: int = 200
    request: type[BaseModel] | WireModel | None = None
    signed: bool = True
    query: tuple[QueryParam, ...] = ()
    headers: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    media_type: str = JSON
    idempotent: bool | None = None
    idempotency_header: str | None = None
    before_retry: str = ""
    people: bool | None = None  # a person's SSO token accepted (default: admin routes)
    # A body other than JSON (an edXML header): its media types; required; the handler
    # reads the request's raw body.
    body_media_types: tuple[str, ...] = ()
    peer: bool = False  # signed by a peer hub, not an app (`call.peer`, docs/federation.md)

    def __post_init__(self) -> None:
        if (self.response is None) != (self.media_type != JSON):
            raise ValueError(f"{self.method} {self.path}: a JSON answer needs its model; a "
                             "file answer has none")
        if not self.always_idempotent and not self.before_retry:
            raise ValueError(f"{self.method} {self.path} is not idempotent: say in "
                             "before_retry what a caller checks before retrying")

    @property
    def response_model(self) -> type[BaseModel] | None:
        return None if self.response is None else load_model(self.response)

    @property
    def request_model(self) -> type[BaseModel] | None:
        return None if self.request is None else load_model(self.request)

    @property
    def accepts_people(self) -> bool:
        """Whether a person's `lgsp:admin` token may call this route instead of an app's
        signature (docs/sso.md): the admin, directory, presence and report routes."""
        if self.people is not None:
            return self.people
        return self.signed and not self.peer and self.path.startswith(PEOPLE_PATHS)

    @property
    def always_idempotent(self) -> bool:
        return self.method in _IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    def safe_to_retry(self, headers: Mapping[str, str]) -> bool:
        """Whether repeating this request can have no further effect."""
        if self.always_idempotent:
            return True
        return self.idempotency_header is not None and bool(
            headers.get(self.idempotency_header.lower()))

    @property
    def body_required(self) -> bool:
        """Whether the route refuses a request without a body (parsed as `{}`)."""
        if self.body_media_types:
            return True
        model = self.request_model
        if model is None:
            return False
        from pydantic import ValidationError
        try:
            model.model_validate_json(b"{}", strict=True)
        except ValidationError:
            return True
        return False


ROUTES: list[RouteSpec] = []
PEOPLE_PATHS = ("/v1/admin/", "/v1/directory", "/v1/presence", "/v1/whoami", "/v1/reports")
PAGING = (
    QueryParam("limit", "Items per page (1-200, default 50).",
               {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", "Opaque cursor from the previous page's next_cursor.",
               {"type": "string"}),
)
