"""Ending a message before its destinations are done with it: a delivery that expires
(its deadline passed, or its content was lost to a restore) and a message whose content
never arrived (abandoned). The sweeper ends them when their time comes
(`services/sweeper.py`); the reconcile after a restore ends those whose content is gone
(`services/reconcile.py`). Either way the source is told, as an event and in its error
log, and the change is written once however often it is tried.
"""

from __future__ import annotations

from chalicelib.domain import events, keys, lifecycle
from chalicelib.domain.errors import TransactionConflictError
from chalicelib.domain.lifecycle import ABANDON, CONTENT_LOST, EXPIRE, DeliveryState, MessageState
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.services import counters, webhook_outbox
from chalicelib.services.audit import history_put, trace_put
from chalicelib.services.content_retention import closing_count
from chalicelib.services.deps import Deps
from chalicelib.services.error_log import line_put
from chalicelib.services.publish import tell
from chalicelib.services.relay_reports import report_ops

MAX_TRANSACTION_OPS = 100
NEVER_ARRIVED = "content_never_arrived"


def _expiry_lines(deps: Deps, msg: Item, unit: str, reason: str | None) -> list[Put]:
    """The destination's and the source's error-log lines of one expired delivery."""
    mid, source = msg["id"], msg["source"]
    if reason == CONTENT_LOST:
        return [
            line_put(deps, unit, "expired", CONTENT_LOST,
                     f"Message {mid} from {source} ended: its content was lost when the hub "
                     "was restored from a backup.", message_id=mid, counterpart=source),
            line_put(deps, source, "expired", CONTENT_LOST,
                     f"Message {mid} did not reach {unit}: its content was lost when the hub "
                     "was restored from a backup; send it again.", message_id=mid,
                     counterpart=unit)]
    return [
        line_put(deps, unit, "expired", "not_confirmed_in_time",
                 f"Message {mid} from {source} expired before this unit confirmed or "
                 "rejected it.", message_id=mid, counterpart=source),
        line_put(deps, source, "expired", "destination_did_not_confirm",
                 f"Message {mid} expired before {unit} confirmed or rejected it.",
                 message_id=mid, counterpart=unit)]


def expire_delivery(deps: Deps, msg: Item, delivery: Item, *, reason: str | None = None
                    ) -> bool:
    """Expire one open delivery (`reason`: why, when not its deadline), tell the source;
    False if it was confirmed, rejected or expired meanwhile."""
    unit, now = delivery["unit"], deps.clock.now()
    extra = {"reason": reason} if reason else {}
    told = [events.outcome(msg, "expired", unit, now, **extra)]
    ops: list[TransactOp] = [
        Update(*keys.delivery(msg["id"], unit), set=EXPIRE.changes(now, **extra),
               condition=EXPIRE.guard()),
        Delete(*keys.inbox(unit, delivery["inbox_sk"])),
        closing_count(msg, delivery),
        trace_put(deps, msg["id"], EXPIRE.target, unit=unit, detail=reason),
        history_put(deps, unit, msg["id"], EXPIRE.target, peer=[msg["source"]],
                    size=msg["size"], priority=msg.get("priority")),
        counters.tally(deps, msg["source"], expired=1),
        *_expiry_lines(deps, msg, unit, reason),
        *report_ops(deps, msg, unit, "expired", reason=reason),
        *webhook_outbox.ops(deps, told),
    ]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return False
    counters.settle(deps, ops)
    tell(deps, told)
    if msg.get("origin"):
        deps.kick()  # report it to the origin hub
    return True


def abandon_message(deps: Deps, msg: Item, *, reason: str = NEVER_ARRIVED) -> bool:
    """Abandon a message still `requested` (its content never arrived, or its upload was
    lost), tell the source per destination; False if it was verified or abandoned
    meanwhile. The upload itself is purged by the caller."""
    now = deps.clock.now()
    ops: list[TransactOp] = [
        Update(*keys.message(msg["id"]), set=ABANDON.changes(now), condition=ABANDON.guard()),
        Update(*keys.outbox(msg["source"], msg["created_at"], msg["id"]),
               set={"state": MessageState.ABANDONED}),
        trace_put(deps, msg["id"], "abandoned", unit=msg["source"], detail=reason),
    ]
    if lifecycle.is_legacy(msg):  # its deliveries exist since sending
        ops += [Update(*keys.delivery(msg["id"], unit), set={"state": DeliveryState.ABANDONED},
                       condition=Condition(equals={"state": DeliveryState.PENDING}))
                for unit in msg["to"]]
    why = ("its upload expired" if reason == NEVER_ARRIVED
           else "its upload was lost when the hub was restored from a backup; send it again")
    if len(ops) < MAX_TRANSACTION_OPS:  # the source's error line (docs/reports.md)
        ops.append(line_put(deps, msg["source"], "expired", reason,
                            f"The content of message {msg['id']} never arrived: {why}.",
                            message_id=msg["id"]))
    told = [events.outcome(msg, "expired", unit, now, reason=reason) for unit in msg["to"]]
    outbox = webhook_outbox.ops(deps, told)
    if len(ops) + len(outbox) <= MAX_TRANSACTION_OPS:  # a legacy broadcast may leave no room
        ops += outbox
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return False
    tell(deps, told)
    return True


def purge_upload(deps: Deps, msg: Item) -> None:
    """Delete what an abandoned message's upload left in the store (also multipart
    uploads whose id the hub never got)."""
    if msg["upload_mode"] == "multipart":
        deps.objects.abort_uploads(msg["object_key"])
    deps.objects.delete(msg["object_key"])
