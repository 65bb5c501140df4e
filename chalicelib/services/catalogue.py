"""The catalogue of the province's shared data services (R-COMP-3): publish, decide,
search and read (docs/catalogue.md). Access requests are in `catalogue_access`.

A catalogue entry is its own record (`CATALOGUE` / `<unit>/<id>`) pointing, by that same
ref, to the service registration brokered sessions read (`service_registry`): publishing
a service the unit had not registered writes the registration in the same transaction;
publishing one it had links to it (same base URL). The registration stays what brokering
needs and nothing more; what a catalogue adds (states, description, terms, an OpenAPI
document of up to 1 MiB) lives beside it, so a unit's private registrations are unchanged
and never appear in a search.
"""

from __future__ import annotations

import base64
import binascii

from chalicelib.domain import catalogue as rules, keys, people
from chalicelib.domain.catalogue_schemas import (
    CatalogueEntry,
    CataloguePage,
    OpenApiView,
    PublishRequest,
)
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import roles, service_registry
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item


def require_member(deps: Deps, caller: Caller, unit: str) -> None:
    """Acting for a unit: any of its apps, a person with its unit admin role, or an
    operator."""
    if roles.is_operator(deps, caller):
        return
    if caller.unit != unit or (caller.person is not None
                               and people.UNIT_ADMIN not in caller.roles):
        raise ForbiddenError("Only the unit's apps and admins (or an operator) may do "
                             "this.", code="forbidden")


def entry_view(item: Item) -> CatalogueEntry:
    decided = item.get("decided_at")
    return CatalogueEntry(
        ref=item["sk"], unit=item["unit"], id=item["service_id"], name=item["name"],
        description=item["description"], base_url=item["base_url"],
        data_categories=list(item["data_categories"]), terms=item["terms"],
        scopes=list(item["scopes"]), openapi_url=item.get("openapi_url"),
        openapi_uploaded=int(item.get("openapi_parts") or 0) > 0, state=item["state"],
        reason=item.get("reason"), published_at=iso(int(item["published_at"])),
        published_by=item["published_by"],
        decided_at=iso(int(decided)) if decided is not None else None,
        decided_by=item.get("decided_by"))


def _document_ops(unit: str, service_id: str, parts: list[str], old_count: int
                  ) -> list[TransactOp]:
    ops: list[TransactOp] = [
        Put({"pk": pk, "sk": sk, "kind": "catalogue_document", "data": part})
        for i, part in enumerate(parts)
        for pk, sk in [keys.catalogue_document_part(unit, service_id, i)]]
    ops += [Delete(*keys.catalogue_document_part(unit, service_id, i))
            for i in range(len(parts), old_count)]
    return ops


def _registration_ops(deps: Deps, caller: Caller, body: PublishRequest) -> list[TransactOp]:
    """The service registration: written when new, checked unchanged when it exists."""
    existing = service_registry.get_service(deps, caller.unit, body.id)
    if existing is None:
        item = service_registry.service_item(deps, caller, body.id, body.name, body.base_url)
        return [Put(item, Condition(exists=False))]
    if existing["base_url"] != body.base_url.rstrip("/"):
        raise ConflictError(f"Service {body.id} is registered with the base URL "
                            f"{existing['base_url']}; publish it with that one.",
                            code="base_url_mismatch", base_url=existing["base_url"])
    return []


def publish(deps: Deps, caller: Caller, body: PublishRequest) -> CatalogueEntry:
    """A unit publishes one of its services; it waits (`pending`) for an operator. A
    refused or withdrawn entry may be published again; another is 409
    `catalogue_entry_exists`."""
    require_member(deps, caller, caller.unit)
    parts: list[str] = []
    if body.openapi_document is not None:
        parts = rules.pack_document(rules.check_openapi(body.openapi_document))
    pk, sk = keys.catalogue_entry(caller.unit, body.id)
    old = deps.table.get(pk, sk)
    if old is not None and old["state"] not in rules.REPUBLISHABLE:
        raise _exists(body.id, old["state"])
    item: Item = {"pk": pk, "sk": sk, "kind": "catalogue_entry", "unit": caller.unit,
                  "service_id": body.id, "name": body.name, "description": body.description,
                  "base_url": body.base_url.rstrip("/"), "openapi_url": body.openapi_url,
                  "openapi_parts": len(parts), "data_categories": body.data_categories,
                  "terms": body.terms, "scopes": sorted(set(body.scopes)),
                  "state": rules.PENDING, "published_at": deps.clock.now(),
                  "published_by": caller.actor}
    guard = Condition(exists=False) if old is None else Condition(
        equals={"state": old["state"], "published_at": old["published_at"]})
    ops = [Put(item, guard), *_registration_ops(deps, caller, body),
           *_document_ops(caller.unit, body.id, parts,
                          int(old.get("openapi_parts") or 0) if old else 0)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        raise _exists(body.id, "changed") from exc
    return entry_view(item)


def _exists(service_id: str, state: str) -> ConflictError:
    return ConflictError(f"Service {service_id} is in the catalogue already ({state}); "
                         "withdraw it first to publish it again.",
                         code="catalogue_entry_exists")


def _not_found(unit: str, service_id: str) -> NotFoundError:
    return NotFoundError(f"No service {unit}/{service_id} in the catalogue.",
                         code="catalogue_entry_not_found")


def visible_entry(deps: Deps, caller: Caller, unit: str, service_id: str) -> Item:
    """The entry if the caller may read it, else 404 (never 403: nothing to enumerate)."""
    item = deps.table.get(*keys.catalogue_entry(unit, service_id)) \
        if unit.isascii() and service_id.isascii() else None
    if item is None or not rules.may_see(item["state"], item["unit"], unit=caller.unit,
                                         operator=roles.is_operator(deps, caller)):
        raise _not_found(unit, service_id)
    return item


def get_entry(deps: Deps, caller: Caller, unit: str, service_id: str) -> CatalogueEntry:
    return entry_view(visible_entry(deps, caller, unit, service_id))


def openapi(deps: Deps, caller: Caller, unit: str, service_id: str) -> OpenApiView:
    """The entry's OpenAPI: the uploaded document (one query) and/or its URL."""
    item = visible_entry(deps, caller, unit, service_id)
    document = None
    if int(item.get("openapi_parts") or 0):
        parts = every_item(deps, keys.catalogue_document(unit, service_id))
        document = rules.unpack_document([p["data"] for p in parts])
    return OpenApiView(ref=item["sk"], url=item.get("openapi_url"), document=document)


def decide(deps: Deps, caller: Caller, unit: str, service_id: str, action: str, *,
           reason: str | None = None) -> CatalogueEntry:
    """`approve` or `refuse` (operators), `withdraw` (the owner unit or an operator)."""
    if action == "withdraw":
        require_member(deps, caller, unit)
    else:
        roles.require_operator(deps, caller)
    item = visible_entry(deps, caller, unit, service_id)
    state = rules.entry_move(action, item["state"])
    changes = {"state": state, "decided_at": deps.clock.now(), "decided_by": caller.actor,
               "reason": reason}
    try:
        after = deps.table.update(Update(item["pk"], item["sk"], set=changes, condition=(
            Condition(equals={"state": item["state"]}))))
    except ConditionFailedError as exc:
        raise ConflictError("The entry changed meanwhile; read it and try again.",
                            code="conflict") from exc
    return entry_view(after)


def _cursor_key(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4),
                                altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidRequestError("Unknown cursor; start again without it.",
                                  code="invalid_cursor") from exc


def search(deps: Deps, caller: Caller, query: str | None, *, state: str | None = None,
           limit: int = 20, cursor: str | None = None) -> CataloguePage:
    """Entries the caller may see, matching every word of `query` (diacritics and case
    ignored, word starts enough), by name. Without `state`: the listed ones and the
    caller's unit's own in any state; with it, only that state."""
    operator = roles.is_operator(deps, caller)
    words = rules.query_words(query) if query else []
    after = _cursor_key(cursor)
    found: list[tuple[str, Item]] = []
    for item in every_item(deps, keys.CATALOGUE):
        shown = (item["state"] == state and rules.may_see(
            item["state"], item["unit"], unit=caller.unit, operator=operator)) \
            if state is not None else (item["state"] == rules.LISTED
                                       or item["unit"] == caller.unit)
        if not shown:
            continue
        key = rules.sort_key(item["name"], item["sk"])
        if after is not None and key <= after:
            continue
        if words and not rules.matches(words, rules.searchable_words(
                item["name"], item["description"], item["data_categories"], item["unit"],
                item["service_id"])):
            continue
        found.append((key, item))
    found.sort(key=lambda pair: pair[0])
    page = found[:limit]
    more = len(found) > limit
    next_cursor = base64.urlsafe_b64encode(page[-1][0].encode()).decode().rstrip("=") \
        if more else None
    return CataloguePage(query=query, items=[entry_view(i) for _, i in page],
                         next_cursor=next_cursor)
