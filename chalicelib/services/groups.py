"""Named groups of units, usable as a destination `group:<id>` (R-PROP-7).

A group is a static list of codes, a rule ("every level-4 unit under district X"), or
both. It stores only what the operator said; who it reaches is worked out when it is
used (`resolve_group`), against the current directory, so a unit created, suspended or
dissolved after the group was made is counted or dropped without touching the group.
All groups are one partition (`GROUPS` / `{id}`): listing them is one query.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import identifiers, keys
from chalicelib.domain.directory_schemas import (
    GroupDeleted,
    GroupList,
    GroupRequest,
    GroupRule,
    GroupView,
)
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from chalicelib.domain.ports import Condition, Item
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import directory, units
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator

ADDRESS_PREFIX = "group:"


def _unknown(group_id: str) -> NotFoundError:
    return NotFoundError(f"No group {group_id}.", code="unknown_group", group=group_id)


def _view(item: Item, active: list[str] | None = None) -> GroupView:
    rule = item.get("rule")
    return GroupView(id=item["id"], name=item["name"], members=list(item.get("members") or []),
                     rule=GroupRule(**rule) if rule else None, created_by=item.get("created_by"),
                     created_at=iso(item["created_at"]), active_members=active)


def _check_request(deps: Deps, body: GroupRequest) -> list[str]:
    """Members and the rule's root must be registered units; the rule's level must lie
    below its root (otherwise the group could never reach anyone: a typo, not a wish)."""
    for n, code in enumerate(body.members):
        identifiers.parse(code, field=f"members[{n}]")
    if body.rule is not None:
        identifiers.parse(body.rule.parent, field="rule.parent")
    members = sorted(set(body.members))
    idx = directory.index(deps)
    named = [*members, *([body.rule.parent] if body.rule else [])]
    unknown = sorted({c for c in named if c not in idx.by_code})
    if unknown:
        raise InvalidRequestError(f"Not in the directory: {', '.join(unknown)}.",
                                  code="unknown_unit", units=unknown)
    if body.rule is not None and body.rule.level is not None:
        root_level = identifiers.parse(body.rule.parent).level
        if body.rule.level <= root_level:
            raise InvalidRequestError(
                f"rule.level must be below the level of {body.rule.parent} ({root_level}).",
                code="invalid_rule")
    return members


def create_group(deps: Deps, caller: Caller, body: GroupRequest) -> GroupView:
    """Operators only (R-OPS-3): a group addresses many units at once."""
    require_operator(deps, caller)
    members = _check_request(deps, body)
    pk, sk = keys.group(body.id)
    item: Item = {"pk": pk, "sk": sk, "kind": "group", "id": body.id, "name": body.name,
                  "members": members,
                  "rule": body.rule.model_dump() if body.rule is not None else None,
                  "created_by": caller.unit, "created_at": deps.clock.now()}
    try:
        deps.table.put(item, Condition(exists=False))
    except ConditionFailedError as exc:
        raise ConflictError(f"Group {body.id} already exists.", code="group_exists",
                            group=body.id) from exc
    return _view(item, _resolve(deps, item))


def get_group(deps: Deps, group_id: str) -> GroupView:
    item = _require(deps, group_id)
    return _view(item, _resolve(deps, item))


def list_groups(deps: Deps, *, limit: int, cursor: str | None) -> GroupList:
    page = deps.table.query(keys.GROUPS, limit=limit, cursor=cursor)
    return GroupList(items=[_view(i) for i in page.items], next_cursor=page.cursor)


def delete_group(deps: Deps, caller: Caller, group_id: str) -> GroupDeleted:
    require_operator(deps, caller)
    try:
        deps.table.delete(*keys.group(group_id), condition=Condition(exists=True))
    except ConditionFailedError as exc:
        raise _unknown(group_id) from exc
    return GroupDeleted(id=group_id)


def _require(deps: Deps, group_id: str) -> Item:
    item = deps.table.get(*keys.group(group_id))
    if item is None:
        raise _unknown(group_id)
    return item


def _resolve(deps: Deps, item: Item) -> list[str]:
    idx = directory.index(deps)
    out: set[str] = set()
    for code in item.get("members") or []:
        position = idx.by_code.get(code)
        if position is not None and idx.rows[position].status == units.ACTIVE:
            out.add(code)
    rule: dict[str, Any] | None = item.get("rule")
    if rule:
        level = rule.get("level")
        for i in idx.under.get(rule["parent"], directory.EMPTY):
            row = idx.rows[i]
            if row.status == units.ACTIVE and (level is None or row.level == level):
                out.add(row.code)
    return sorted(out)


def resolve_group(deps: Deps, group_id: str) -> list[str]:
    """The ACTIVE member codes now, sorted: static members that are still active, plus
    the active units the rule selects in the current directory (below `rule.parent`,
    of `rule.level` if given). An unknown group is `NotFoundError("unknown_group")`.
    Costs two GetItems (the group, the directory version) and in-memory work."""
    return _resolve(deps, _require(deps, group_id))
