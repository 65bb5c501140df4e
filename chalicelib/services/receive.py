"""Receiving (R-RECV-1..3): the inbox (`services/inbox.py`, re-exported here), fetch
grants, confirmation or rejection.

The steps and their guards are `chalicelib/domain/lifecycle.py`'s; here they are loaded,
checked and written. Closing a delivery touches only that delivery, its inbox entry, its
batch's count of open deliveries and items of its own (trace, history, tally), so the
destinations of one message close in parallel without cancelling each other.
"""

from __future__ import annotations

from chalicelib.domain import events, keys, lifecycle, traffic
from chalicelib.domain.errors import ConflictError, ContentMismatchError, TransactionConflictError
from chalicelib.domain.lifecycle import CONFIRM, OPEN, REJECT, Step
from chalicelib.domain.ports import Condition, Delete, Item, TransactOp, Update
from chalicelib.domain.schemas import DeliveryView, FetchGrant
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import counters, webhook_outbox
from chalicelib.services.access import delivery_for_destination
from chalicelib.services.audit import history_put, trace_put
from chalicelib.services.content_retention import closing_count, delete_content_when_done
from chalicelib.services.deps import Deps
from chalicelib.services.inbox import inbox
from chalicelib.services.publish import tell
from chalicelib.services.relay_reports import report_ops
from chalicelib.services.views import delivery_view

__all__ = ["close", "confirm", "fetch", "inbox", "record_fetch", "reject"]

FAILED_FETCH_ATTEMPTS = 3  # a failed fetch racing another is recorded after a re-read


def fetch(deps: Deps, caller: Caller, message_id: str) -> FetchGrant:
    """A short-lived presigned GET of the content for one destination (R-RECV-2). Asked
    again while the delivery is open, it gives fresh URLs (a slow or resumed download);
    only the first fetch is traced and told to the source. A message relayed from a peer
    hub is downloaded from the origin's store (docs/federation.md)."""
    msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
    step = lifecycle.fetch_step(delivery["state"])
    if (refused := lifecycle.refusal(step, delivery["state"], msg["state"],
                                        delivery.get("reason"))) is not None:
        raise refused
    if msg.get("origin") and not msg.get("copied"):  # the origin's store (direct)
        from chalicelib.services.relay_fetch import origin_grant
        grant, expires_at = origin_grant(deps, msg)
    else:
        ttl = deps.settings.fetch_url_seconds
        grant = deps.objects.presign_get(msg["object_key"], expires_in=ttl,
                                         file_name=msg["file_name"])
        expires_at = deps.clock.now() + ttl
    if not record_fetch(deps, msg, delivery, caller.unit):
        raise ConflictError("The delivery changed meanwhile; retry.", code="conflict")
    return FetchGrant(method=grant.method, url=grant.url, headers=grant.headers,
                      expires_at=iso(expires_at), size=msg["size"], sha256=msg["sha256"],
                      file_name=msg["file_name"], content_type=msg["content_type"])


def record_fetch(deps: Deps, msg: Item, delivery: Item, unit: str, *,
                 detail: str | None = None) -> bool:
    """Count a fetch of `unit`'s delivery; the first is traced and told to the source.
    False if the delivery changed meanwhile. `detail`: the hop, for a fetch a peer hub
    reported."""
    step = lifecycle.fetch_step(delivery["state"])
    if not step.allows(delivery["state"]):
        return False
    now = deps.clock.now()
    first = step is lifecycle.FETCH
    ops: list[TransactOp] = [Update(*keys.delivery(msg["id"], unit),
                                    set=step.changes(now), add={"fetch_count": 1},
                                    condition=step.guard())]
    if first:
        ops += [Update(*keys.inbox(unit, delivery["inbox_sk"]),
                       set={"state": lifecycle.DeliveryState.FETCHED},
                       condition=Condition(exists=True))] if not delivery.get("via") else []
        told = [events.outcome(msg, "fetched", unit, now)]
        ops += [trace_put(deps, msg["id"], "fetched", unit=unit, detail=detail),
                *report_ops(deps, msg, unit, "fetched"), *webhook_outbox.ops(deps, told)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return False
    if first:
        tell(deps, told)
        deps.kick()
    return True


def confirm(deps: Deps, caller: Caller, message_id: str, sha256: str) -> DeliveryView:
    """Record a successful receipt (R-RECV-3). The destination's own hash must match what
    the source declared and the hub verified; otherwise it is a failed fetch."""
    msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
    if sha256 != msg["sha256"]:
        if delivery["state"] in OPEN:
            _record_failed_fetch(deps, caller, msg)
        raise ContentMismatchError("The SHA-256 you computed does not match the content "
                                   "that was sent; fetch it again.", code="checksum_mismatch")
    verified_at = msg.get("verified_at") or delivery.get("available_at")
    waited = deps.clock.now() - int(verified_at) if verified_at else None
    return close(deps, caller.unit, CONFIRM, msg, delivery, extra={},
                 counts=traffic.received(msg.get("priority"), msg["size"], waited))


def reject(deps: Deps, caller: Caller, message_id: str, reason: str) -> DeliveryView:
    """The destination refuses the message, with a reason the source can read."""
    msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
    return close(deps, caller.unit, REJECT, msg, delivery, extra={"reason": reason},
                 counts={"rejected": 1})


def close(deps: Deps, unit: str, step: Step, msg: Item, delivery: Item, *,
          extra: dict[str, object], counts: dict[str, int], detail: str | None = None
          ) -> DeliveryView:
    """Close `unit`'s delivery, then the message if it was the last one open.
    Repeating a close answers the delivery as it is (and finishes what a crash after the
    close left undone). `detail`: the hop, for an outcome a peer hub reported."""
    if lifecycle.already_done(step, delivery["state"]):
        delete_content_when_done(deps, msg["id"], batch=delivery.get("batch"))
        return delivery_view(delivery)
    if (refused := lifecycle.refusal(step, delivery["state"], msg["state"],
                                        delivery.get("reason"))) is not None:
        raise refused
    now = deps.clock.now()
    changes = step.changes(now, **extra)
    told = [events.outcome(msg, step.target, unit, now)]
    ops: list[TransactOp] = [
        Update(*keys.delivery(msg["id"], unit), set=changes, condition=step.guard()),
        Delete(*keys.inbox(unit, delivery["inbox_sk"])),
        closing_count(msg, delivery),
        trace_put(deps, msg["id"], step.target, unit=unit,
                  detail=" ".join(str(x) for x in (extra.get("reason"), detail) if x)
                  or None),
        *report_ops(deps, msg, unit, step.target, reason=extra.get("reason")),
        *webhook_outbox.ops(deps, told),
    ]
    if not delivery.get("via"):  # a unit of ours: its history and counters
        ops += [history_put(deps, unit, msg["id"], "received" if step is CONFIRM
                            else "rejected", peer=[msg["source"]], size=msg["size"],
                            priority=msg.get("priority")),
                counters.tally(deps, unit, **counts)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        current = deps.table.get(*keys.delivery(msg["id"], unit)) or delivery
        if lifecycle.already_done(step, current["state"]):
            return delivery_view(current)
        if (refused := lifecycle.refusal(step, current["state"], msg["state"],
                                            current.get("reason"))) is not None:
            raise refused from exc
        raise ConflictError("The delivery changed meanwhile; retry.", code="conflict") from exc
    counters.settle(deps, ops)
    tell(deps, told)
    if msg.get("origin"):
        deps.kick()
    delete_content_when_done(deps, msg["id"], batch=delivery.get("batch"), read=msg)
    return delivery_view({**delivery, **changes})


def _record_failed_fetch(deps: Deps, caller: Caller, msg: Item) -> None:
    """Count a failed fetch; trace it (and tell the source) only up to the cap, so one
    destination cannot grow the message's trace without limit."""
    dpk, dsk = keys.delivery(msg["id"], caller.unit)
    for _ in range(FAILED_FETCH_ATTEMPTS):
        current = deps.table.get(dpk, dsk)
        if current is None or current["state"] not in OPEN:
            return
        before = int(current.get("failed_fetches", 0))
        traced = lifecycle.traced(before)
        told = [events.outcome(msg, "fetch_failed", caller.unit, deps.clock.now())]
        ops: list[TransactOp] = [
            Update(dpk, dsk, add={"failed_fetches": 1},
                   condition=Condition(equals={"failed_fetches": before},
                                       one_of={"state": list(OPEN)})),
            counters.tally(deps, caller.unit, failures=1)]
        if traced:
            ops += [trace_put(deps, msg["id"], "fetch_failed", unit=caller.unit,
                              detail="checksum_mismatch"), *webhook_outbox.ops(deps, told)]
        try:
            deps.table.transact(ops)
        except TransactionConflictError:
            continue  # another failed fetch or a close came first: look again
        counters.settle(deps, ops)
        if traced:
            tell(deps, told)
        return
