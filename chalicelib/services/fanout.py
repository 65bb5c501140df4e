"""A verified message goes into every destination's inbox (R-SEND-4, R-PROP-1).

The verification and the first batch of destinations are one transaction; a broadcast to
more destinations continues in batches (`domain/lifecycle.batches`), each one transaction
of its deliveries, their inbox entries and its count of open deliveries, written only if
none of them exists yet. A crash half-way leaves whole batches: a retried `complete`, the
store's object-created event or the sweeper (a `fanout` due item written with the
verification) writes the rest, and the last step marks the message `fanned_out`. Each
destination is told `message.available` by whoever wrote its batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain import events, keys, lifecycle, traffic
from chalicelib.domain.deadlines import DEADLINE, FANOUT, WAITING, fanout_due
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.lifecycle import VERIFY, DeliveryState, MessageState, inbox_sort_key
from chalicelib.domain.ports import Condition, Event, Item, Put, TransactOp, Update
from chalicelib.services import counters, reorg, webhook_outbox
from chalicelib.services.audit import history_put, trace_put
from chalicelib.services.content_retention import delete_content_when_done
from chalicelib.services.deps import Deps
from chalicelib.services.publish import tell
from chalicelib.services.relay_out import handover_ops
from chalicelib.services.schedule import due_key, due_put


@dataclass(frozen=True)
class Delivered:
    """A message as this call left it, and the delivery items it wrote when that is all
    of them (`None`: some were written, moved or finished by another attempt or by a
    re-organisation; read them). What `complete` answers with, without reading back."""

    message: Item
    deliveries: list[Item] | None


def verify_and_deliver(deps: Deps, msg: Item, also: Item | None = None,
                       extra: Sequence[TransactOp] = ()) -> Item:
    """Mark the content verified and deliver it to the first batch in one transaction,
    then to the rest. Safe to call again: a message already verified only resumes.
    `also`: what the verification sets besides (an edXML package's title, priority, set
    time and deadline), `extra`: what is written with it. A message held until a set
    time (Priority 4) is verified now and delivered by the sweeper at that time."""
    return deliver(deps, msg, also, extra).message


def deliver(deps: Deps, msg: Item, also: Item | None = None,
            extra: Sequence[TransactOp] = ()) -> Delivered:
    """`verify_and_deliver`, also saying which deliveries it wrote."""
    now, message_id = deps.clock.now(), msg["id"]
    also = also or {}
    plan = lifecycle.batches(msg["to"])
    verified = {**msg, **also, **VERIFY.changes(now)}
    hold = lifecycle.held(verified, now)
    done = len(plan) == 1 and not hold
    changes = {**also, **VERIFY.changes(now, batches=len(plan), fanned_out=done)}
    verified.update(changes)
    ops: list[TransactOp] = [
        Update(*keys.message(message_id), set=changes, condition=VERIFY.guard()),
        trace_put(deps, message_id, "verified", unit=msg["source"]),
        due_put(DEADLINE, verified["confirm_by"], message_id),
        *extra, *_source_ops(deps, verified, also), *handover_ops(deps, verified),
    ]
    told = [] if hold else list(_available(verified, plan[0], now))
    first = [] if hold else _batch_ops(verified, 0, plan[0])
    ops += first
    ops += webhook_outbox.ops(deps, told)
    limit = msg["policy"].get("offline_limit_seconds") or deps.settings.offline_limit_seconds
    if lifecycle.available_from(verified) + limit < verified["confirm_by"]:
        ops.append(due_put(WAITING, lifecycle.available_from(verified) + limit, message_id))
    if not done:
        ops.append(due_put(FANOUT, fanout_due(now, verified.get("deliver_at")), message_id))
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        current = deps.table.get(*keys.message(message_id))
        if current is None or current["state"] in (MessageState.REQUESTED,
                                                   MessageState.CHECKING):
            raise
        return Delivered(resume(deps, current), None)
    counters.settle(deps, ops)
    if verified.get("remote"):
        deps.kick()  # hand it to the peer hubs now
    if hold:
        return Delivered(verified, None)
    tell(deps, told)
    written = None if lifecycle.is_legacy(verified) else _written(first)
    if not done:
        return _finish(deps, verified, written)
    return Delivered(verified, None if _followed(deps, verified) else written)


def _source_ops(deps: Deps, msg: Item, also: Item) -> list[TransactOp]:
    """The source's outbox, history and counters: not for a message a peer hub relayed
    to us (its source is not ours; the origin keeps them)."""
    if msg.get("origin"):
        return []
    outbox: Item = {k: also[k] for k in ("title", "priority") if k in also}
    return [
        Update(*keys.outbox(msg["source"], msg["created_at"], msg["id"]),
               set={"state": MessageState.VERIFIED, **outbox}),
        history_put(deps, msg["source"], msg["id"], "sent", peer=msg["to"], size=msg["size"],
                    priority=msg.get("priority")),
        counters.tally(deps, msg["source"], **traffic.sent(msg.get("priority"), msg["size"])),
    ]


def _available(msg: Item, units: Sequence[str], at: int) -> Iterator[Event]:
    """`message.available` for the units of ours (a remote unit is told by its hub)."""
    remote = msg.get("remote") or {}
    return (events.available(msg, unit, at) for unit in units if unit not in remote)


def resume(deps: Deps, msg: Item, *, due: bool = False) -> Item:
    """Deliver what a verified message's fan-out has not delivered yet (idempotent).
    `due`: the sweeper's call for the `fanout` due item, which stays until the fan-out
    and its follow-up are both done, so a crash between them is finished too. A message
    held until a set time is not delivered before it."""
    if msg["state"] != MessageState.VERIFIED or (msg.get("fanned_out", True) and not due):
        return msg
    if lifecycle.held(msg, deps.clock.now()):
        return msg
    return _finish(deps, msg, None).message


def _finish(deps: Deps, msg: Item, written: list[Item] | None) -> Delivered:
    """The batches after the first (`written`: its deliveries, if in hand), then the
    follow-up; with every delivery written, when this call wrote them all."""
    plan = lifecycle.batches(msg["to"])
    first = 0 if lifecycle.was_held(msg) else 1  # a held message: no batch written yet
    for number, units in enumerate(plan[first:], start=first):
        batch = _write_batch(deps, msg, number, units)
        written = None if written is None or batch is None else [*written, *batch]
    with contextlib.suppress(ConditionFailedError):  # else another attempt did it
        deps.table.update(Update(*keys.message(msg["id"]), set={"fanned_out": True},
                                 condition=Condition(equals={"state": MessageState.VERIFIED,
                                                             "fanned_out": False})))
    fanned = {**msg, "fanned_out": True}
    left = delete_content_when_done(deps, msg["id"])  # all closed already (e.g. expired)?
    reorganised = _followed(deps, fanned)
    if reorganised or left is None or left["state"] != MessageState.VERIFIED:
        written = None  # a delivery may have moved, or all closed meanwhile: read them
    deps.table.delete(*due_key(FANOUT, fanout_due(msg["verified_at"], msg.get("deliver_at")),
                               msg["id"]))  # done, and followed
    return Delivered(fanned, written)


def _followed(deps: Deps, msg: Item) -> bool:
    """Destinations re-organised since sending, or without software, handled (R-JOIN-5,
    R-PROP-9); whether one was re-organised (its delivery may have moved)."""
    return reorg.follow(deps, msg)


def _written(ops: Sequence[TransactOp]) -> list[Item]:
    """The delivery items a batch's operations create."""
    return [op.item for op in ops if isinstance(op, Put) and op.item.get("kind") == "delivery"]


def _write_batch(deps: Deps, msg: Item, number: int, units: Sequence[str]
                 ) -> list[Item] | None:
    """Write batch `number`; its deliveries, or None if an earlier attempt wrote it."""
    told = list(_available(msg, units, deps.clock.now()))
    batch = _batch_ops(msg, number, units)
    ops = [*batch, *webhook_outbox.ops(deps, told)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        if deps.table.get(*keys.open_count(msg["id"], number)) is None:
            raise
        return None  # written by an earlier attempt: its writer told the destinations
    tell(deps, told)
    return None if lifecycle.is_legacy(msg) else _written(batch)


def _batch_ops(msg: Item, number: int, units: Sequence[str]) -> list[TransactOp]:
    """Batch `number`: a delivery and an inbox entry per destination, and the batch's
    count of open deliveries, all written only if absent."""
    at, message_id = lifecycle.available_from(msg), msg["id"]
    inbox_sk = inbox_sort_key(msg["priority_rank"], at, message_id)
    legacy = lifecycle.is_legacy(msg)
    ops: list[TransactOp] = []
    remote = msg.get("remote") or {}
    for unit in units:
        delivery = {"state": DeliveryState.AVAILABLE, "available_at": at, "inbox_sk": inbox_sk,
                    "batch": number}
        if unit in remote:  # a unit of a peer hub: handed over, in no inbox of ours
            delivery["via"] = remote[unit]
        if legacy:  # its deliveries exist since sending, `pending`
            ops.append(Update(*keys.delivery(message_id, unit), set=delivery,
                              condition=Condition(equals={"state": DeliveryState.PENDING})))
        else:
            pk, sk = keys.delivery(message_id, unit)
            ops.append(Put({"pk": pk, "sk": sk, "kind": "delivery", "unit": unit,
                            "fetch_count": 0, "failed_fetches": 0, "warned": False,
                            **delivery}, Condition(exists=False)))
        if unit in remote:
            continue
        ipk, isk = keys.inbox(unit, inbox_sk)
        ops.append(Put({"pk": ipk, "sk": isk, "kind": "inbox", "id": message_id,
                        "source": msg["source"], "title": msg["title"],
                        "priority": msg["priority"], "data_type": msg["data_type"],
                        "protocol": msg["protocol"], "size": msg["size"],
                        "file_name": msg["file_name"], "content_type": msg["content_type"],
                        "state": DeliveryState.AVAILABLE, "available_at": at,
                        "confirm_by": msg["confirm_by"]}))
    if not legacy:
        pk, sk = keys.open_count(message_id, number)
        ops.append(Put({"pk": pk, "sk": sk, "kind": "open_count", "remaining": len(units)},
                       Condition(exists=False)))
    return ops
