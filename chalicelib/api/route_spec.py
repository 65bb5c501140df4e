"""What a route is (`RouteSpec`) and the parameters it declares (`QueryParam`): the one
declaration `api_route` (api/http.py) registers, authenticates, validates and renders by,
and `/openapi.json` describes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

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
class RouteSpec:
    """What a route is: its call, its answer and what a caller may do after a failure.

    `response` is the JSON model of the answer, or None when the route answers a file of
    `media_type`. A route is safe to retry when `idempotent` says so (default: by method,
    GET/PUT/DELETE yes, POST/PATCH no), or when the request carries `idempotency_header`;
    otherwise `before_retry` tells the caller what to check first (required).
    """

    method: str
    path: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    request: type[BaseModel] | None = None
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
        if self.request is None:
            return False
        try:
            self.request.model_validate_json(b"{}", strict=True)
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
