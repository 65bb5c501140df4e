"""Content is not kept after the transfer (R-PROP-3): once a message has been delivered to
every destination and no delivery is open any more (each confirmed, rejected, expired or
moved on), its content is deleted from the store and the message is `completed`, keeping
only its metadata, trace and history.

Open deliveries are counted per fan-out batch (`LEFT#n`, see domain/lifecycle), so the
destinations of a broadcast closing at once do not all write one item: each close
decrements its batch's count, and only a close that brings its batch to zero looks at
the others.
"""

from __future__ import annotations

from chalicelib.domain import keys, lifecycle
from chalicelib.domain.errors import TransactionConflictError
from chalicelib.domain.lifecycle import COMPLETE, MessageState
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.services.audit import trace_put
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item


def closing_count(msg: Item, delivery: Item) -> Update:
    """One open delivery fewer, to write in the transaction that closes `delivery`."""
    if lifecycle.is_legacy(msg):
        return Update(*keys.message(msg["id"]), add={"remaining": -1},
                      condition=Condition(equals={"state": MessageState.VERIFIED}))
    return Update(*keys.open_count(msg["id"], int(delivery.get("batch", 0))),
                  add={"remaining": -1}, condition=Condition(exists=True))


def _all_closed(deps: Deps, msg: Item, batch: int | None) -> bool:
    if lifecycle.is_legacy(msg):
        return int(msg.get("remaining", 1)) <= 0
    if not msg.get("fanned_out"):
        return False
    if batch is not None:
        own = deps.table.get(*keys.open_count(msg["id"], batch))
        if own is not None and own["remaining"] > 0:
            return False
        if own is not None and int(msg.get("batches") or 0) == 1:
            return True  # the message's only batch: nothing else to look at
    counts = every_item(deps, keys.message_partition(msg["id"]), prefix=keys.LEFT)
    return all(c["remaining"] <= 0 for c in counts)


def delete_content_when_done(deps: Deps, message_id: str, *, batch: int | None = None,
                             read: Item | None = None) -> Item | None:
    """Delete the content and complete the message if nothing is left open (`batch`: the
    batch of the delivery just closed, looked at first). Idempotent: a retry after a
    crash between the deletion and the write finishes the job. `read`: the message as
    the caller read it before closing a delivery; used instead of reading it again when
    it was already verified and fanned out (both never undone; the completion's
    condition checks the state anyway)."""
    pk, sk = keys.message(message_id)
    trusted = (read is not None and read["state"] == MessageState.VERIFIED
               and read.get("fanned_out") and not lifecycle.is_legacy(read))
    msg = read if trusted else deps.table.get(pk, sk)
    if msg is None or msg["state"] != MessageState.VERIFIED or not _all_closed(deps, msg, batch):
        return msg
    if msg["object_key"]:  # a message relayed from a peer hub has its content there
        deps.objects.delete(msg["object_key"])
    now = deps.clock.now()
    changes = COMPLETE.changes(now, content_deleted_at=now)
    try:
        deps.table.transact([
            Update(pk, sk, set=changes, condition=COMPLETE.guard()),
            Update(*keys.outbox(msg["source"], msg["created_at"], message_id),
                   set={"state": MessageState.COMPLETED}),
            trace_put(deps, message_id, "content_deleted"),
        ])
    except TransactionConflictError:
        return deps.table.get(pk, sk)
    return {**msg, **changes}
