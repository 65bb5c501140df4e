"""The two state changes of a whole message: content verified → available to every
destination (R-SEND-4), and every destination done → content deleted (R-PROP-3)."""

from __future__ import annotations

from chalicelib.domain import events, keys
from chalicelib.domain.deadlines import DEADLINE, WAITING
from chalicelib.domain.errors import TransactionConflictError
from chalicelib.domain.exchange import AVAILABLE, COMPLETED, PENDING, REQUESTED, VERIFIED
from chalicelib.domain.exchange import inbox_sort_key as sort_key
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.services import reorg
from chalicelib.services.deps import Deps
from chalicelib.services.records import count, due_put, history_put, tell, trace_put


def verify_and_deliver(deps: Deps, msg: Item) -> Item:
    """Mark the content verified and put the message in every destination's inbox, in one
    transaction (nothing half-delivered). Safe to call twice: the second call is a no-op."""
    now, message_id = deps.clock.now(), msg["id"]
    pk, sk = keys.message(message_id)
    ops: list[TransactOp] = [
        Update(pk, sk, set={"state": VERIFIED, "verified_at": now},
               condition=Condition(equals={"state": REQUESTED})),
    ]
    for unit in msg["to"]:
        inbox_sk = sort_key(msg["priority_rank"], now, message_id)
        ops.append(Update(*keys.delivery(message_id, unit),
                          set={"state": AVAILABLE, "available_at": now, "inbox_sk": inbox_sk},
                          condition=Condition(equals={"state": PENDING})))
        ipk, isk = keys.inbox(unit, inbox_sk)
        ops.append(Put({"pk": ipk, "sk": isk, "kind": "inbox", "id": message_id,
                        "source": msg["source"], "title": msg["title"],
                        "priority": msg["priority"], "data_type": msg["data_type"],
                        "protocol": msg["protocol"], "size": msg["size"],
                        "file_name": msg["file_name"], "content_type": msg["content_type"],
                        "state": AVAILABLE, "available_at": now,
                        "confirm_by": msg["confirm_by"]}))
    ops.append(Update(*keys.outbox(msg["source"], msg["created_at"], message_id),
                      set={"state": VERIFIED}))
    ops.append(trace_put(deps, message_id, "verified", unit=msg["source"]))
    ops.append(history_put(deps, msg["source"], message_id, "sent", peer=msg["to"],
                           size=msg["size"]))
    ops.append(count(deps, msg["source"], sent=1, bytes_sent=msg["size"]))
    ops.append(due_put(DEADLINE, msg["confirm_by"], message_id))
    limit = msg["policy"].get("offline_limit_seconds") or deps.settings.offline_limit_seconds
    if now + limit < msg["confirm_by"]:
        ops.append(due_put(WAITING, now + limit, message_id))
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        current = deps.table.get(pk, sk)
        if current is not None and current["state"] != REQUESTED:
            return current
        raise
    tell(deps, (events.available(msg, unit, now) for unit in msg["to"]))
    reorg.follow(deps, {**msg, "state": VERIFIED})
    return {**msg, "state": VERIFIED, "verified_at": now}


def finish_if_done(deps: Deps, message_id: str) -> Item | None:
    """When no destination is left to confirm or reject, delete the content and close the
    message; it keeps only metadata and trace. Idempotent (a retry finds it closed)."""
    pk, sk = keys.message(message_id)
    msg = deps.table.get(pk, sk)
    if msg is None or msg["state"] != VERIFIED or msg["remaining"] > 0:
        return msg
    deps.objects.delete(msg["object_key"])
    now = deps.clock.now()
    try:
        deps.table.transact([
            Update(pk, sk, set={"state": COMPLETED, "completed_at": now,
                                "content_deleted_at": now},
                   condition=Condition(equals={"state": VERIFIED})),
            Update(*keys.outbox(msg["source"], msg["created_at"], message_id),
                   set={"state": COMPLETED}),
            trace_put(deps, message_id, "content_deleted"),
        ])
    except TransactionConflictError:
        return deps.table.get(pk, sk)
    return {**msg, "state": COMPLETED, "completed_at": now, "content_deleted_at": now}
