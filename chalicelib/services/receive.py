"""Receiving (R-RECV-1..3): inbox, fetch grant, confirmation or rejection."""

from __future__ import annotations

from chalicelib.domain import events, keys
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    ContentMismatchError,
    TransactionConflictError,
)
from chalicelib.domain.exchange import (
    AVAILABLE,
    CONFIRMED,
    EXPIRED,
    FETCHED,
    OPEN_DELIVERY,
    REJECTED,
    VERIFIED,
    iso,
)
from chalicelib.domain.ports import Condition, Delete, Item, Update
from chalicelib.domain.schemas import DeliveryView, FetchGrant, InboxItem, InboxPage
from chalicelib.domain.signatures import Caller
from chalicelib.services.deps import Deps
from chalicelib.services.records import (
    count,
    delivery_for_destination,
    delivery_view,
    history_put,
    tell,
    trace_put,
)
from chalicelib.services.verify import finish_if_done


def inbox(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> InboxPage:
    """What waits for the caller's unit, Hỏa tốc first, then oldest first."""
    page = deps.table.query(f"INBOX#{caller.unit}", limit=limit, cursor=cursor)
    items = [InboxItem(
        id=i["id"], source=i["source"], title=i["title"], priority=i["priority"],
        data_type=i["data_type"], protocol=i["protocol"], size=i["size"],
        file_name=i["file_name"], content_type=i["content_type"], state=i["state"],
        available_at=iso(i["available_at"]), confirm_by=iso(i["confirm_by"]),
    ) for i in page.items]
    return InboxPage(items=items, next_cursor=page.cursor)


def _check_open(msg: Item, delivery: Item) -> None:
    if delivery["state"] == CONFIRMED:
        raise ConflictError("This message was already confirmed.", code="already_confirmed")
    if delivery["state"] == REJECTED:
        raise ConflictError("This message was already rejected.", code="already_rejected")
    if delivery["state"] == EXPIRED:
        raise ConflictError("The deadline of this message passed; its content is deleted.",
                            code="expired")
    if msg["state"] != VERIFIED or delivery["state"] not in OPEN_DELIVERY:
        raise ConflictError("The content of this message is not available.",
                            code="not_available")


def fetch(deps: Deps, caller: Caller, message_id: str) -> FetchGrant:
    """A short-lived presigned GET of the content for one destination (R-RECV-2)."""
    msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
    _check_open(msg, delivery)
    ttl = deps.settings.fetch_url_seconds
    grant = deps.objects.presign_get(msg["object_key"], expires_in=ttl,
                                     file_name=msg["file_name"])
    now = deps.clock.now()
    dpk, dsk = keys.delivery(message_id, caller.unit)
    first = delivery["state"] == AVAILABLE
    changes = {"state": FETCHED, "first_fetched_at": now} if first else {}
    try:
        deps.table.transact([
            Update(dpk, dsk, set=changes, add={"fetch_count": 1},
                   condition=Condition(equals={"state": delivery["state"]})),
            Update(*keys.inbox(caller.unit, delivery["inbox_sk"]), set={"state": FETCHED},
                   condition=Condition(exists=True)),
            trace_put(deps, message_id, "fetched", unit=caller.unit),
        ])
    except TransactionConflictError as exc:
        raise ConflictError("The delivery changed meanwhile; retry.", code="conflict") from exc
    if first:
        tell(deps, [events.outcome(msg, "fetched", caller.unit, now)])
    return FetchGrant(method=grant.method, url=grant.url, headers=grant.headers,
                      expires_at=iso(now + ttl), size=msg["size"], sha256=msg["sha256"],
                      file_name=msg["file_name"], content_type=msg["content_type"])


def _close(deps: Deps, caller: Caller, msg: Item, delivery: Item, *, state: str,
           extra: dict[str, object], counters: dict[str, int]) -> Item:
    """Close the delivery; returns the delivery as written."""
    message_id = msg["id"]
    now = deps.clock.now()
    at_field = "confirmed_at" if state == CONFIRMED else "rejected_at"
    changes = {"state": state, at_field: now, **extra}
    deps.table.transact([
        Update(*keys.delivery(message_id, caller.unit), set=changes,
               condition=Condition(one_of={"state": list(OPEN_DELIVERY)})),
        Delete(*keys.inbox(caller.unit, delivery["inbox_sk"])),
        Update(*keys.message(message_id), add={"remaining": -1},
               condition=Condition(equals={"state": VERIFIED})),
        trace_put(deps, message_id, state, unit=caller.unit,
                  detail=str(extra.get("reason")) if "reason" in extra else None),
        history_put(deps, caller.unit, message_id, "received" if state == CONFIRMED
                    else "rejected", peer=[msg["source"]], size=msg["size"]),
        count(deps, caller.unit, **counters),
    ])
    return {**delivery, **changes}


def _finish_close(deps: Deps, caller: Caller, message_id: str, *, state: str,
                  close: dict[str, object], counters: dict[str, int],
                  read: tuple[Item, Item] | None = None) -> DeliveryView:
    """Close the caller's delivery (`read`: the message and delivery the caller already
    loaded in this call), then the message if it was the last one open."""
    msg, delivery = read or delivery_for_destination(deps, message_id, caller.unit)
    if delivery["state"] == state:
        finish_if_done(deps, message_id)  # a retry also finishes what a crash left undone
        return delivery_view(delivery)
    _check_open(msg, delivery)
    try:
        closed = _close(deps, caller, msg, delivery, state=state, extra=close,
                        counters=counters)
    except TransactionConflictError as exc:
        msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
        if delivery["state"] == state:
            return delivery_view(delivery)
        raise ConflictError("The delivery changed meanwhile; retry.", code="conflict") from exc
    tell(deps, [events.outcome(msg, state, caller.unit, deps.clock.now())])
    finish_if_done(deps, message_id)
    return delivery_view(closed)


def confirm(deps: Deps, caller: Caller, message_id: str, sha256: str) -> DeliveryView:
    """Record a successful receipt (R-RECV-3). The destination's own hash must match what
    the source declared and the hub verified; otherwise it is a failed fetch."""
    msg, delivery = delivery_for_destination(deps, message_id, caller.unit)
    if sha256 != msg["sha256"]:
        if delivery["state"] in OPEN_DELIVERY:
            _record_failed_fetch(deps, caller, message_id)
            tell(deps, [events.outcome(msg, "fetch_failed", caller.unit, deps.clock.now())])
        raise ContentMismatchError("The SHA-256 you computed does not match the content "
                                   "that was sent; fetch it again.", code="checksum_mismatch")
    return _finish_close(deps, caller, message_id, state=CONFIRMED, close={},
                         counters={"received": 1, "bytes_received": msg["size"]},
                         read=(msg, delivery))


def reject(deps: Deps, caller: Caller, message_id: str, reason: str) -> DeliveryView:
    """The destination refuses the message, with a reason the source can read."""
    return _finish_close(deps, caller, message_id, state=REJECTED, close={"reason": reason},
                         counters={"rejected": 1})


def _record_failed_fetch(deps: Deps, caller: Caller, message_id: str) -> None:
    dpk, dsk = keys.delivery(message_id, caller.unit)
    try:
        deps.table.transact([
            Update(dpk, dsk, add={"failed_fetches": 1},
                   condition=Condition(one_of={"state": list(OPEN_DELIVERY)})),
            trace_put(deps, message_id, "fetch_failed", unit=caller.unit,
                      detail="checksum_mismatch"),
            count(deps, caller.unit, failures=1),
        ])
    except (TransactionConflictError, ConditionFailedError):
        return
