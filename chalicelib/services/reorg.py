"""Re-organisation of units (R-JOIN-5): rename, merge, split, dissolve, each an operator
action with its legal basis and effective date.

Applying one changes the units in one transaction (predecessors `dissolved` with their
successors, successors created if new), then deals with what was in flight:
- a merged or renamed unit's open deliveries move to its successor (inbox and delivery,
  the source's message names the new destination), so nothing is lost;
- a split or dissolved unit's open deliveries stay, and their sources are told
  (`message.undeliverable`, with the candidate successors) so they can decide.
A future effective date is scheduled and applied by the sweeper on that day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.domain import events, keys, lifecycle
from chalicelib.domain.deadlines import REORG
from chalicelib.domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.lifecycle import MOVE, MessageState
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.reorg import Reorganisation, ReorgView, route
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import PROVINCE_TZ, iso
from chalicelib.services import counters, units, webhook_outbox
from chalicelib.services.audit import trace_put
from chalicelib.services.content_retention import closing_count, delete_content_when_done
from chalicelib.services.deps import Deps
from chalicelib.services.error_log import line_put
from chalicelib.services.partitions import every_item
from chalicelib.services.publish import tell
from chalicelib.services.registry import has_receiving_app
from chalicelib.services.roles import require_operator
from chalicelib.services.schedule import due_put


def _start_of(day: date) -> int:
    """Midnight of `day` in the province, as epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=PROVINCE_TZ).timestamp())


def _keyed(key: tuple[str, str]) -> Item:
    return {"pk": key[0], "sk": key[1]}


def view(item: Item) -> ReorgView:
    return ReorgView(
        id=item["id"], kind=item["kind"], state=item["state"], units=item["units"],
        successors=[s["code"] for s in item["successors"]], legal_basis=item["legal_basis"],
        effective_date=item["effective_date"], created_by=item["created_by"],
        created_at=iso(item["created_at"]),
        applied_at=iso(item["applied_at"]) if item.get("applied_at") else None,
        moved_deliveries=item.get("moved_deliveries", 0),
        sources_told=item.get("sources_told", 0))


def reorganise(deps: Deps, caller: Caller, body: Reorganisation) -> ReorgView:
    """Record the action; apply it now if its day has come, else schedule it."""
    require_operator(deps, caller)
    for code in body.units:
        unit = units.require_unit(deps, code)
        if unit["status"] == units.DISSOLVED:
            raise ConflictError(f"Unit {code} is already dissolved.", code="unit_dissolved",
                                unit=code)
    for successor in body.successors:
        if units.get_unit(deps, successor.code) is None and successor.name is None:
            raise NotFoundError(f"Successor {successor.code} does not exist; give its "
                                "name to create it.", code="unknown_unit", unit=successor.code)
    now, reorg_id = deps.clock.now(), deps.ids.new_id()
    effective_at = _start_of(body.effective_date)
    pk, sk = keys.reorganisation(reorg_id)
    item: Item = {"pk": pk, "sk": sk, "kind": "reorg",
                  "id": reorg_id, **body.model_dump(mode="json"), "state": "scheduled",
                  "effective_at": effective_at, "created_by": caller.actor, "created_at": now}
    ops: list[TransactOp] = [Put(item, Condition(exists=False)),
                             Put({**_keyed(keys.reorganisation_entry(now, reorg_id)),
                                  "kind": "reorg_entry", "id": reorg_id})]
    if effective_at > now:
        ops.append(due_put(REORG, effective_at, reorg_id))
    deps.table.transact(ops)
    return view(apply(deps, reorg_id) if effective_at <= now else item)


def apply(deps: Deps, reorg_id: str) -> Item:
    """Apply a recorded action (the sweeper calls this on its day). Idempotent: the unit
    changes happen once; what was in flight is handled again harmlessly."""
    item = deps.table.get(*keys.reorganisation(reorg_id))
    if item is None:
        raise NotFoundError("No such re-organisation.", code="reorg_not_found")
    if item["state"] == "scheduled":
        _change_units(deps, item)
        item = deps.table.get(*keys.reorganisation(reorg_id)) or item
    moved = told = 0
    for code in item["units"]:
        m, t = _handle_in_flight(deps, code)
        moved, told = moved + m, told + t
    deps.table.update(Update(*keys.reorganisation(reorg_id), set={"moved_deliveries": moved,
                                                   "sources_told": told}))
    return {**item, "moved_deliveries": moved, "sources_told": told}


def _change_units(deps: Deps, item: Item) -> None:
    now, actor = deps.clock.now(), item["created_by"]
    detail = {"reorg": item["id"], "kind": item["kind"], "legal_basis": item["legal_basis"]}
    successors = [s["code"] for s in item["successors"]]
    ops: list[TransactOp] = [Update(*keys.reorganisation(item["id"]), set={"state": "applied",
                                                            "applied_at": now},
                                    condition=Condition(equals={"state": "scheduled"}))]
    for new in item["successors"]:
        if units.get_unit(deps, new["code"]) is None:
            unit = units.new_unit_item(deps, new["code"], new["name"],
                                       short_name=new.get("short_name"))
            ops += units.creation_ops(deps, unit, actor=actor)
    for code in item["units"]:
        unit = units.require_unit(deps, code)
        if item["kind"] == "rename" and not successors:
            changes: dict[str, Any] = {"name": item["new_name"],
                                       "short_name": item.get("new_short_name")
                                       or item["new_name"]}
        else:
            changes = {"status": units.DISSOLVED, "successors": successors}
        ops += units.change_ops(deps, unit, changes, event=item["kind"], actor=actor,
                                detail={**detail, **changes})
    ops.append(units.bump_directory())
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        raise ConflictError("The units changed meanwhile; retry.", code="conflict") from exc


def _successor(deps: Deps, code: str) -> tuple[str | None, list[str]]:
    """Where `code`'s deliveries go: (its single successor, []), or (None, the candidates
    of a split unit), or (None, []) for a unit dissolved without successor."""
    try:
        return route(code, lambda c: units.get_unit(deps, c)), []
    except ConflictError as err:  # split
        return None, list(err.details.get("candidates", []))
    except InvalidRequestError:  # dissolved without successor
        return None, []


def _handle_in_flight(deps: Deps, code: str) -> tuple[int, int]:
    """Move the open deliveries of a merged or renamed unit to its successor, or tell
    the sources of a split or dissolved unit's (moved, told)."""
    target, candidates = _successor(deps, code)
    moved = told = 0
    for entry in every_item(deps, keys.inbox_partition(code)):
        if target is not None and target != code:
            moved += move_delivery(deps, entry["id"], code, target)
        elif target is None:
            told += _tell_undeliverable(deps, entry["id"], code, candidates)
    return moved, told


def _movable(msg: Item | None, delivery: Item | None) -> bool:
    """An open delivery of a verified message that has been delivered to all (while a
    broadcast is still being delivered, its fan-out ends by handling re-organised
    destinations itself: `follow`)."""
    return (msg is not None and delivery is not None and msg["state"] == MessageState.VERIFIED
            and (lifecycle.is_legacy(msg) or bool(msg.get("fanned_out")))
            and MOVE.allows(delivery["state"]))


def move_delivery(deps: Deps, message_id: str, old: str, new: str) -> bool:
    """Hand `old`'s open delivery of a message to its successor `new`, in one transaction;
    False if there was nothing open to move (already moved, done, or expired). The source
    is told (`message.rerouted`, R-JOIN-5)."""
    msg = deps.table.get(*keys.message(message_id))
    delivery = deps.table.get(*keys.delivery(message_id, old))
    if not _movable(msg, delivery):
        return False
    assert msg is not None and delivery is not None
    now = deps.clock.now()
    duplicate = new in msg["to"]
    new_to = list(dict.fromkeys(new if u == old else u for u in msg["to"]))
    entry = deps.table.get(*keys.inbox(old, delivery["inbox_sk"]))
    ops: list[TransactOp] = [
        Update(*keys.message(message_id), set={"to": new_to},
               condition=Condition(equals={"state": MessageState.VERIFIED, "to": msg["to"]})),
        Update(*keys.delivery(message_id, old), set=MOVE.changes(now, moved_to=new),
               condition=Condition(equals={"state": delivery["state"]})),  # as copied
        Delete(*keys.inbox(old, delivery["inbox_sk"])),
        trace_put(deps, message_id, "rerouted", unit=new, detail=f"{old} → {new}"),
    ]
    if duplicate:  # the successor was addressed too: one open delivery fewer
        ops.append(closing_count(msg, delivery))
    else:
        dpk, dsk = keys.delivery(message_id, new)
        ops.append(Put({**delivery, "pk": dpk, "sk": dsk, "unit": new, "addressed_to": old,
                        "moved_in_at": now}, Condition(exists=False)))
        if entry is not None:
            ipk, isk = keys.inbox(new, delivery["inbox_sk"])
            ops.append(Put({**entry, "pk": ipk, "sk": isk, "addressed_to": old}))
    moved = {**msg, "to": new_to}
    told = [events.outcome(msg, "rerouted", old, now, successor=new),
            *([] if duplicate else [events.available(moved, new, now)])]
    ops += webhook_outbox.ops(deps, told)
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return False
    tell(deps, told)
    if duplicate:
        delete_content_when_done(deps, message_id, batch=delivery.get("batch"))
    return True


def _tell_undeliverable(deps: Deps, message_id: str, code: str, candidates: list[str]
                        ) -> bool:
    msg = deps.table.get(*keys.message(message_id))
    if msg is None or msg["state"] != MessageState.VERIFIED:
        return False
    reason = "unit_split" if candidates else "unit_dissolved"
    undeliverable(deps, msg, code, reason=reason, candidates=candidates)
    return True


def undeliverable(deps: Deps, msg: Item, code: str, **detail: Any) -> None:
    """Tell the source that `code` cannot receive the message. It counts for the source
    once per destination however often it is told: a marker written with the tally."""
    now = deps.clock.now()
    pk, sk = keys.undeliverable(msg["id"], code)
    told = [events.outcome(msg, "undeliverable", code, now, **detail)]
    ops: list[TransactOp] = [*webhook_outbox.ops(deps, told),
        Put({"pk": pk, "sk": sk, "kind": "undeliverable", "unit": code, "at": now,
             "reason": detail.get("reason")}, Condition(exists=False)),
        counters.tally(deps, msg["source"], undeliverable=1),
        line_put(deps, msg["source"], "undeliverable", str(detail.get("reason") or "unknown"),
                 f"{code} cannot receive message {msg['id']}.", message_id=msg["id"],
                 counterpart=code)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        pass  # counted when it was first found
    else:
        counters.settle(deps, ops)
    tell(deps, told)


def list_reorgs(deps: Deps, caller: Caller, *, limit: int, cursor: str | None
                ) -> tuple[list[ReorgView], str | None]:
    require_operator(deps, caller)
    page = deps.table.query(keys.REORGANISATIONS, limit=limit, cursor=cursor, descending=True)
    found = [deps.table.get(*keys.reorganisation(e["id"])) for e in page.items]
    return [view(i) for i in found if i is not None], page.cursor


def follow(deps: Deps, msg: Item) -> bool:
    """Right after delivery: a destination re-organised since the message was requested
    hands its delivery to its successor, or its source is told (R-JOIN-5); an active
    destination without any app to receive is reported (R-PROP-9). Whether a destination
    was re-organised (its delivery may have moved: the message and its deliveries may
    then differ from what the delivery wrote)."""
    remote, reorganised = msg.get("remote") or {}, False
    for code in msg["to"]:
        if code in remote:  # a unit of a peer hub: its own hub follows it
            continue
        unit = units.get_unit(deps, code)
        if unit is not None and unit["status"] == units.DISSOLVED:
            _handle_one(deps, msg["id"], code)
            reorganised = True
        elif not has_receiving_app(deps, code):
            undeliverable(deps, msg, code, reason="no_receiving_app")
    return reorganised


def _handle_one(deps: Deps, message_id: str, code: str) -> None:
    target, candidates = _successor(deps, code)
    if target is None:
        _tell_undeliverable(deps, message_id, code, candidates)
    else:
        move_delivery(deps, message_id, code, target)
