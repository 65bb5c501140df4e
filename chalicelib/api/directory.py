"""The smart directory and named groups over REST (R-PROP-7).

Thin handlers: query parameters are checked here, everything else is in
`services.directory` and `services.groups`. Every route is signed; reading is open to any
authenticated app, changing groups to operators.
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
from chalicelib.domain import identifiers
from chalicelib.domain.directory import MAX_QUERY_CHARS, UNIT_STATUSES
from chalicelib.domain.errors import InvalidRequestError

if TYPE_CHECKING:
    from chalicelib.domain.directory_schemas import (
        DirectoryUnit,
        GroupDeleted,
        GroupList,
        GroupView,
        SearchPage,
        SubtreePage,
    )

models = WireModels("chalicelib.domain.directory_schemas")

directory_api = Blueprint(__name__)

SEARCH_QUERY = (
    QueryParam("q", "Words of a name, short name, code or account; diacritics and case "
               "ignored, the start of a word is enough (`so tai ch`).",
               {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    QueryParam("account", "Look one unit up by `<code>@<domain>` (no other parameter).",
               {"type": "string"}),
    QueryParam("parent", "Only units below this unit (its whole subtree, not itself).",
               {"type": "string"}),
    QueryParam("level", "Only units of this level.", {"type": "integer", "minimum": 1,
                                                       "maximum": 4}),
    QueryParam("status", "Only units in this status (default: every status).",
               {"type": "string", "enum": list(UNIT_STATUSES)}),
    QueryParam("limit", "Results (1-100, default 20).", {"type": "integer", "minimum": 1,
                                                         "maximum": 100}),
    QueryParam("cursor", "Listing without `q`: next_cursor of the previous page.",
               {"type": "string"}),
)


def _level(call: Call) -> int | None:
    raw = call.query("level")
    if raw is None:
        return None
    if raw not in {"1", "2", "3", "4"}:
        raise InvalidRequestError("level must be 1, 2, 3 or 4.", code="invalid_level")
    return int(raw)


def _status(call: Call) -> str | None:
    raw = call.query("status")
    if raw is not None and raw not in UNIT_STATUSES:
        raise InvalidRequestError(f"status must be one of {', '.join(UNIT_STATUSES)}.",
                                  code="invalid_status")
    return raw


def _parent(call: Call) -> str | None:
    raw = call.query("parent")
    return None if raw is None else identifiers.parse(raw, field="parent").code


@api_route(directory_api, RouteSpec(
    "GET", "/v1/directory", "Search the directory, list it by filters, or look a unit up "
    "by account (R-PROP-7)", models.SearchPage, query=SEARCH_QUERY, errors=(400, 401, 404)))
def search_directory(call: Call) -> SearchPage:
    from chalicelib.services import directory
    account = call.query("account")
    if account is not None:
        names: set[str] = set(call.request.query_params or ())
        if names - {"account"}:
            raise InvalidRequestError("account cannot be combined with other parameters.",
                                      code="invalid_request")
        return directory.by_account(call.deps, account)
    query = call.query("q")
    if query is not None and len(query) > MAX_QUERY_CHARS:
        raise InvalidRequestError(f"q is longer than {MAX_QUERY_CHARS} characters.",
                                  code="invalid_query")
    return directory.search(call.deps, query, parent=_parent(call), level=_level(call),
                            status=_status(call), limit=page_limit(call, default=20, maximum=100),
                            cursor=call.query("cursor"))


@api_route(directory_api, RouteSpec(
    "GET", "/v1/directory/{code}", "One unit of the directory by code (R-PROP-7); a code "
    "routed to a peer hub answers its unit there (`remote`, `hub`)", models.DirectoryUnit,
    errors=(400, 401, 404, 502)))
def get_directory_entry(call: Call, code: str) -> DirectoryUnit:
    from chalicelib.services import directory
    return directory.get_unit(call.deps, code)


@api_route(directory_api, RouteSpec(
    "GET", "/v1/directory/{code}/subtree", "The unit and every unit below it, each right "
    "after its parent, paged (R-PROP-7)", models.SubtreePage, query=PAGING, errors=(400, 401, 404)))
def directory_subtree(call: Call, code: str) -> SubtreePage:
    from chalicelib.services import directory
    return directory.subtree(call.deps, code, limit=page_limit(call),
                             cursor=call.query("cursor"))


@api_route(directory_api, RouteSpec(
    "POST", "/v1/groups", "Operators: create a named group, a destination `group:<id>` "
    "(R-PROP-7)", models.GroupView, status=201, request=models.GroupRequest,
    errors=(400, 401, 403, 409),
    idempotent=True))  # by id: a second one is 409 group_exists
def create_group(call: Call) -> GroupView:
    from chalicelib.services import groups
    return groups.create_group(call.deps, call.who, call.body)


@api_route(directory_api, RouteSpec(
    "GET", "/v1/groups", "Named groups in id order (R-PROP-7)", models.GroupList, query=PAGING,
    errors=(400, 401)))
def list_groups(call: Call) -> GroupList:
    from chalicelib.services import groups
    return groups.list_groups(call.deps, limit=page_limit(call), cursor=call.query("cursor"))


@api_route(directory_api, RouteSpec(
    "GET", "/v1/groups/{group_id}", "A group with the active units it reaches now "
    "(R-PROP-7)", models.GroupView, errors=(401, 404)))
def get_group(call: Call, group_id: str) -> GroupView:
    from chalicelib.services import groups
    return groups.get_group(call.deps, group_id)


@api_route(directory_api, RouteSpec(
    "DELETE", "/v1/groups/{group_id}", "Operators: delete a group (R-PROP-7)", models.GroupDeleted,
    errors=(401, 403, 404)))
def delete_group(call: Call, group_id: str) -> GroupDeleted:
    from chalicelib.services import groups
    return groups.delete_group(call.deps, call.who, group_id)
