"""The catalogue of shared data services (R-COMP-3, R-JOIN-3) over REST: thin handlers
over `services.catalogue` (entries) and `services.catalogue_access` (access requests).

Every route is signed by an app or called by a person's SSO token; who may do what is
decided in the services (docs/catalogue.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import (
    PAGING,
    Call,
    QueryParam,
    RouteSpec,
    WireModels,
    api_route,
    page_limit,
)
from chalicelib.domain.catalogue import ENTRY_STATES
from chalicelib.domain.directory import MAX_QUERY_CHARS
from chalicelib.domain.errors import InvalidRequestError

if TYPE_CHECKING:
    from chalicelib.domain.catalogue_schemas import (
        AccessPage,
        AccessView,
        CatalogueEntry,
        CataloguePage,
        OpenApiView,
    )

models = WireModels("chalicelib.domain.catalogue_schemas")

catalogue_api = Blueprint(__name__)

ENTRY = "/v1/catalogue/services/{unit}/{service_id}"
SEARCH_QUERY = (
    QueryParam("q", "Words of the name, description, data categories, unit or id; "
               "diacritics and case ignored, the start of a word is enough.",
               {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    QueryParam("state", "Only entries in this state (default: the listed ones and your "
               "unit's own in any state).", {"type": "string", "enum": list(ENTRY_STATES)}),
    QueryParam("limit", "Results (1-100, default 20).", {"type": "integer", "minimum": 1,
                                                         "maximum": 100}),
    QueryParam("cursor", "next_cursor of the previous page.", {"type": "string"}),
)
_DECIDED = "Read the entry (`GET` it): if its state is the one asked for, it was done."


@api_route(catalogue_api, RouteSpec(
    "POST", "/v1/catalogue/services", "Publish a shared data service of the caller's unit "
    "(pending until an operator approves it)", models.CatalogueEntry, status=201,
    request=models.PublishRequest, errors=(400, 401, 403, 409, 413), people=True,
    before_retry="Read the entry (`GET /v1/catalogue/services/{unit}/{id}`): a 409 "
                 "`catalogue_entry_exists` after a lost answer means it was published."))
def publish(call: Call) -> CatalogueEntry:
    from chalicelib.services import catalogue
    entry = catalogue.publish(call.deps, call.who, call.body)
    call.headers["Location"] = f"/v1/catalogue/services/{entry.ref}"
    return entry


@api_route(catalogue_api, RouteSpec(
    "GET", "/v1/catalogue/services", "Search the catalogue (accent-insensitive)",
    models.CataloguePage, query=SEARCH_QUERY, errors=(400, 401), people=True))
def search(call: Call) -> CataloguePage:
    from chalicelib.services import catalogue
    state = call.query("state")
    if state is not None and state not in ENTRY_STATES:
        raise InvalidRequestError(f"state must be one of {', '.join(ENTRY_STATES)}.",
                                  code="invalid_state")
    query = call.query("q")
    if query is not None and len(query) > MAX_QUERY_CHARS:
        raise InvalidRequestError(f"q is longer than {MAX_QUERY_CHARS} characters.",
                                  code="invalid_query")
    return catalogue.search(call.deps, call.who, query, state=state,
                            limit=page_limit(call, default=20, maximum=100),
                            cursor=call.query("cursor"))


@api_route(catalogue_api, RouteSpec(
    "GET", ENTRY, "One catalogue entry (listed, or the caller's unit's, or for operators)",
    models.CatalogueEntry, errors=(401, 404), people=True))
def read_entry(call: Call, unit: str, service_id: str) -> CatalogueEntry:
    from chalicelib.services import catalogue
    return catalogue.get_entry(call.deps, call.who, unit, service_id)


@api_route(catalogue_api, RouteSpec(
    "GET", ENTRY + "/openapi", "A catalogue entry's OpenAPI document (uploaded) or URL",
    models.OpenApiView, errors=(401, 404), people=True))
def read_openapi(call: Call, unit: str, service_id: str) -> OpenApiView:
    from chalicelib.services import catalogue
    return catalogue.openapi(call.deps, call.who, unit, service_id)


@api_route(catalogue_api, RouteSpec(
    "POST", ENTRY + "/approve", "Operators: list a pending entry", models.CatalogueEntry,
    errors=(401, 403, 404, 409), people=True, before_retry=_DECIDED))
def approve(call: Call, unit: str, service_id: str) -> CatalogueEntry:
    from chalicelib.services import catalogue
    return catalogue.decide(call.deps, call.who, unit, service_id, "approve")


@api_route(catalogue_api, RouteSpec(
    "POST", ENTRY + "/refuse", "Operators: refuse a pending entry, with a reason",
    models.CatalogueEntry, request=models.Reason, errors=(400, 401, 403, 404, 409), people=True,
    before_retry=_DECIDED))
def refuse(call: Call, unit: str, service_id: str) -> CatalogueEntry:
    from chalicelib.services import catalogue
    return catalogue.decide(call.deps, call.who, unit, service_id, "refuse",
                            reason=call.body.reason)


@api_route(catalogue_api, RouteSpec(
    "POST", ENTRY + "/withdraw", "The owner unit (or an operator): take an entry out of "
    "the catalogue (its grants stay until revoked)", models.CatalogueEntry,
    errors=(401, 403, 404, 409), people=True, before_retry=_DECIDED))
def withdraw(call: Call, unit: str, service_id: str) -> CatalogueEntry:
    from chalicelib.services import catalogue
    return catalogue.decide(call.deps, call.who, unit, service_id, "withdraw")


REQUEST = "/v1/catalogue/requests/{request_id}"
_ANSWERED = "Read the request (`GET` it): if its state is the one asked for, it was done."
GRANTS_QUERY = (
    QueryParam("role", "`provider`: requests on your unit's services; `consumer`: your "
               "unit's requests.",
               {"type": "string", "enum": ["provider", "consumer"], "example": "provider"},
               required=True),
    *PAGING,
)


@api_route(catalogue_api, RouteSpec(
    "POST", "/v1/catalogue/requests", "Ask for access to a listed service for one of the "
    "caller's unit's apps", models.AccessView, status=201, request=models.AccessRequestBody,
    errors=(400, 401, 403, 404, 409), people=True,
    before_retry="List your requests (`GET /v1/catalogue/grants?role=consumer`): a 409 "
                 "`access_request_exists` after a lost answer means it was filed."))
def request_access(call: Call) -> AccessView:
    from chalicelib.services import catalogue_access
    view = catalogue_access.request_access(call.deps, call.who, call.body)
    call.headers["Location"] = f"/v1/catalogue/requests/{view.id}"
    return view


@api_route(catalogue_api, RouteSpec(
    "GET", "/v1/catalogue/grants", "The access requests and grants involving the caller's "
    "unit, as provider or consumer, newest first", models.AccessPage, query=GRANTS_QUERY,
    errors=(400, 401), people=True))
def list_access(call: Call) -> AccessPage:
    from chalicelib.services import catalogue_access
    role = call.query("role")
    if role not in catalogue_access.ROLES:
        raise InvalidRequestError("role must be provider or consumer.",
                                  code="invalid_request")
    return catalogue_access.list_access(call.deps, call.who, role, limit=page_limit(call),
                                        cursor=call.query("cursor"))


@api_route(catalogue_api, RouteSpec(
    "GET", REQUEST, "One access request (its two sides and operators)", models.AccessView,
    errors=(401, 404), people=True))
def read_request(call: Call, request_id: str) -> AccessView:
    from chalicelib.services import catalogue_access
    return catalogue_access.get_request(call.deps, call.who, request_id)


@api_route(catalogue_api, RouteSpec(
    "PATCH", REQUEST, "The service's owner (or an operator): change a granted request's "
    "rate a minute through the proxy (setting a value: safe to repeat)", models.AccessView,
    request=models.AccessChange, errors=(400, 401, 403, 404, 409), people=True, idempotent=True))
def change_access(call: Call, request_id: str) -> AccessView:
    from chalicelib.services import catalogue_access
    return catalogue_access.change_rate(call.deps, call.who, request_id,
                                        call.body.rate_per_minute)


@api_route(catalogue_api, RouteSpec(
    "POST", REQUEST + "/grant", "The service's owner (or an operator): grant access, "
    "optionally with the grant's own rate a minute through the proxy; the brokered "
    "session works at once", models.AccessView, request=models.GrantBody,
    errors=(400, 401, 403, 404, 409), people=True, before_retry=_ANSWERED))
def grant(call: Call, request_id: str) -> AccessView:
    from chalicelib.services import catalogue_access
    return catalogue_access.decide(call.deps, call.who, request_id, "grant",
                                   rate_per_minute=call.body.rate_per_minute)


@api_route(catalogue_api, RouteSpec(
    "POST", REQUEST + "/refuse", "The service's owner (or an operator): refuse access, "
    "with a reason", models.AccessView, request=models.Reason, errors=(400, 401, 403, 404, 409),
    people=True, before_retry=_ANSWERED))
def refuse_access(call: Call, request_id: str) -> AccessView:
    from chalicelib.services import catalogue_access
    return catalogue_access.decide(call.deps, call.who, request_id, "refuse",
                                   reason=call.body.reason)


@api_route(catalogue_api, RouteSpec(
    "POST", REQUEST + "/revoke", "The service's owner (or an operator): revoke a grant; "
    "its tokens introspect inactive at once", models.AccessView, errors=(401, 403, 404, 409),
    people=True, before_retry=_ANSWERED))
def revoke(call: Call, request_id: str) -> AccessView:
    from chalicelib.services import catalogue_access
    return catalogue_access.decide(call.deps, call.who, request_id, "revoke")
