"""Units of the province (R-JOIN-1, R-PROP-7): identity, hierarchy, status, history.

Each unit is one item (`UNIT#{code}` / `META`) plus its line in the directory partition
(`UNITS` / `{code}`, what listing and the search index read), written together with a
history line and a bump of the directory's version (`DIRINDEX` / `VERSION`), so a search
index cached by any process knows when it is stale.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import identifiers, keys
from chalicelib.domain.errors import ConflictError, NotFoundError, TransactionConflictError
from chalicelib.domain.ports import Condition, Item, Page, Put, TransactOp, Update
from chalicelib.domain.unit_schemas import UNIT_STATUSES, CreateUnit
from chalicelib.services.deps import Deps

STATUSES = UNIT_STATUSES
ACTIVE, SUSPENDED, DISSOLVED = STATUSES
ENTRY_FIELDS = ("code", "name", "short_name", "level", "parent", "status", "account",
                "successors")


def _entry(unit: Item) -> Item:
    pk, sk = keys.directory_entry(unit["code"])
    return {"pk": pk, "sk": sk, "kind": "directory_entry",
            **{f: unit.get(f) for f in ENTRY_FIELDS}}


def history_put(deps: Deps, code: str, event: str, *, actor: str | None,
                detail: dict[str, Any] | None = None) -> Put:
    at = deps.clock.now()
    pk, sk = keys.unit_history(code, at, deps.ids.new_id())
    return Put({"pk": pk, "sk": sk, "kind": "unit_history", "at": at, "event": event,
                "actor": actor, "detail": detail or {}})


def bump_directory() -> Update:
    """One more change to the directory: cached search indexes rebuild."""
    pk, sk = keys.DIRECTORY_VERSION
    return Update(pk, sk, set={"kind": "directory_version"}, add={"version": 1})


def new_unit_item(deps: Deps, code: str, name: str, *, short_name: str | None = None,
                  status: str = ACTIVE, contact: dict[str, str] | None = None) -> Item:
    """A unit to register. Its code must be valid (`identifiers.parse`: 400
    `invalid_unit_code` naming the part); its parent need not be registered: the code
    alone places the unit in the hierarchy (the directory reads ancestors from codes), so
    a province can register a department without its ministry, or a commune before its
    district. One rule on every way in: one unit, an import's rows, a successor."""
    parsed = identifiers.parse(code)
    now = deps.clock.now()
    pk, sk = keys.unit(code)
    return {"pk": pk, "sk": sk, "kind": "unit", "code": code, "name": name,
            "short_name": short_name or name, "level": parsed.level, "parent": parsed.parent,
            "status": status, "contact": contact or {},
            "account": identifiers.account(code, deps.settings.province_domain),
            "successors": [], "created_at": now, "changed_at": now}


def creation_ops(deps: Deps, unit: Item, *, actor: str | None) -> list[TransactOp]:
    """What registering `unit` writes (for one transaction, possibly with others)."""
    return [Put(unit, Condition(exists=False)), Put(_entry(unit)),
            history_put(deps, unit["code"], "created", actor=actor,
                        detail={"name": unit["name"]})]


def unit_from_request(deps: Deps, body: CreateUnit) -> Item:
    """The unit a registration asks for (`POST /v1/admin/units`, or one row of an
    import): the same checks, so both ways accept and refuse the same units."""
    return new_unit_item(deps, body.code, body.name, short_name=body.short_name,
                         contact=body.contact.model_dump(exclude_none=True))


def register(deps: Deps, body: CreateUnit, *, actor: str | None) -> Item:
    """Register one unit as an operator asked for it."""
    return _write_new(deps, unit_from_request(deps, body), actor=actor)


def create_unit(deps: Deps, code: str, name: str, *, short_name: str | None = None,
                status: str = ACTIVE, contact: dict[str, str] | None = None,
                actor: str | None = None) -> Item:
    """Register a unit under its national identifier code."""
    unit = new_unit_item(deps, code, name, short_name=short_name, status=status,
                         contact=contact)
    return _write_new(deps, unit, actor=actor)


def _write_new(deps: Deps, unit: Item, *, actor: str | None) -> Item:
    code = unit["code"]
    try:
        deps.table.transact([*creation_ops(deps, unit, actor=actor), bump_directory()])
    except TransactionConflictError as exc:
        raise ConflictError(f"Unit {code} already exists.", code="unit_exists",
                            unit=code) from exc
    return unit


def get_unit(deps: Deps, code: str) -> Item | None:
    return deps.table.get(*keys.unit(code))


def require_unit(deps: Deps, code: str) -> Item:
    """The unit; a malformed code is 400 `invalid_unit_code` (naming the part), an
    unregistered one 404 `unknown_unit`."""
    identifiers.parse(code)
    unit = get_unit(deps, code)
    if unit is None:
        raise NotFoundError(f"Unit {code} does not exist.", code="unknown_unit", unit=code)
    return unit


def change_ops(deps: Deps, unit: Item, changes: dict[str, Any], *, event: str,
               actor: str | None, detail: dict[str, Any] | None = None) -> list[TransactOp]:
    """Change a unit's attributes (conditional on the version read) with its history."""
    now = deps.clock.now()
    updated = {**unit, **changes, "changed_at": now}
    deps.auth_cache.forget()  # a suspended or dissolved unit's apps: refused at once here
    return [
        Update(unit["pk"], unit["sk"], set={**changes, "changed_at": now},
               condition=Condition(equals={"changed_at": unit["changed_at"]})),
        Put(_entry(updated)),
        history_put(deps, unit["code"], event, actor=actor, detail=detail or changes),
    ]


def update_unit(deps: Deps, code: str, changes: dict[str, Any], *, actor: str | None,
                event: str = "changed") -> Item:
    unit = require_unit(deps, code)
    try:
        deps.table.transact([*change_ops(deps, unit, changes, event=event, actor=actor),
                             bump_directory()])
    except TransactionConflictError as exc:
        raise ConflictError("The unit changed meanwhile; retry.", code="conflict") from exc
    return {**unit, **changes}


def list_units(deps: Deps, *, limit: int, cursor: str | None) -> Page:
    """Directory entries in code order, one page."""
    return deps.table.query(keys.DIRECTORY, limit=limit, cursor=cursor)


def unit_history(deps: Deps, code: str, *, limit: int, cursor: str | None) -> Page:
    require_unit(deps, code)
    return deps.table.query(keys.unit_history_partition(code), limit=limit, cursor=cursor,
                            descending=True)


def directory_version(deps: Deps) -> int:
    item = deps.table.get(*keys.DIRECTORY_VERSION)
    return int(item["version"]) if item else 0
