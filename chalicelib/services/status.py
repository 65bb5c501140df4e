"""Status queries (R-SEND-5, R-PROP-11): a message's deliveries and trace, the outbox.

Every answer reads a bounded number of items, however many destinations a message has
or however often they fetched: the deliveries and the trace come a page at a time, and a
destination's view is rebuilt from the message and its own delivery (it never reads the
other destinations' lines).
"""

from __future__ import annotations

import base64
import json

from chalicelib.domain import keys, lifecycle
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.lifecycle import MessageState
from chalicelib.domain.ports import Item
from chalicelib.domain.schemas import (
    DeliveryPage,
    Handover,
    MessageStatus,
    OutboxItem,
    OutboxPage,
    TracePage,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services.access import load_message, message_for_party
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.roles import require_operator
from chalicelib.services.views import (
    delivery_view,
    message_view,
    trace_view,
    unstored_delivery_view,
)

FIRST_DELIVERIES, FIRST_TRACE = 200, 100


def message_status(deps: Deps, caller: Caller, message_id: str) -> MessageStatus:
    """The source sees every destination (first page); a destination only its own."""
    msg, is_source = message_for_party(deps, message_id, caller.unit)
    if is_source:
        return _source_status(deps, msg)
    own = deps.table.get(*keys.delivery(message_id, caller.unit))
    return MessageStatus(
        message=message_view(msg),
        deliveries=[delivery_view(own) if own else unstored_delivery_view(caller.unit,
                                                                          msg["state"])],
        trace=[trace_view(line) for line in lifecycle.destination_trace(msg, own)])


def any_message_status(deps: Deps, caller: Caller, message_id: str) -> MessageStatus:
    """Operators (the console's trace search): any message, as its source sees it; anyone
    else is refused (403), whether or not the message exists."""
    require_operator(deps, caller)
    return _source_status(deps, load_message(deps, message_id))


def written_status(deps: Deps, caller: Caller, msg: Item, written: list[Item] | None
                   ) -> MessageStatus:
    """What `complete` answers: the source's status of the message as the call left it,
    built from the message item and the deliveries it wrote (`written`), so neither is
    read back; the same as a `GET` right after. The trace is read: its first lines were
    written by `create`. Read as `GET` reads it when the deliveries are not all in hand
    (`None`: a retry, another attempt, a re-organised destination) or fill a page."""
    if written is None or lifecycle.is_legacy(msg):
        return message_status(deps, caller, msg["id"])
    if msg["state"] != MessageState.VERIFIED or len(written) >= FIRST_DELIVERIES:
        return _source_status(deps, msg)  # before verification: none read either
    trace = _trace(deps, msg, limit=FIRST_TRACE, cursor=None)
    return MessageStatus(message=message_view(msg), deliveries=[
        delivery_view(d) for d in sorted(written, key=lambda d: str(d["sk"]))],
        trace=trace.items, trace_next_cursor=trace.next_cursor,
        handovers=_handovers(deps, msg))


def _source_status(deps: Deps, msg: Item) -> MessageStatus:
    deliveries = _deliveries(deps, msg, limit=FIRST_DELIVERIES, cursor=None)
    trace = _trace(deps, msg, limit=FIRST_TRACE, cursor=None)
    return MessageStatus(message=message_view(msg), deliveries=deliveries.items,
                         deliveries_next_cursor=deliveries.next_cursor,
                         trace=trace.items, trace_next_cursor=trace.next_cursor,
                         handovers=_handovers(deps, msg))


def _handovers(deps: Deps, msg: Item) -> list[Handover]:
    """The hand-overs to peer hubs (one query, only for a message with remote
    destinations)."""
    if not msg.get("remote"):
        return []
    return [Handover(peer=i["peer"], units=i["units"], state=i["state"],
                     attempts=int(i.get("attempts", 0)), last_error=i.get("last_error"),
                     accepted_at=iso(i["accepted_at"]) if i.get("accepted_at") else None,
                     refusal=i.get("refusal"))
            for i in every_item(deps, keys.message_partition(msg["id"]), prefix=keys.RELAYS)]


def deliveries(deps: Deps, caller: Caller, message_id: str, *, limit: int,
               cursor: str | None) -> DeliveryPage:
    msg, is_source = message_for_party(deps, message_id, caller.unit)
    if is_source:
        return _deliveries(deps, msg, limit=limit, cursor=cursor)
    return DeliveryPage(items=message_status(deps, caller, message_id).deliveries)


def trace(deps: Deps, caller: Caller, message_id: str, *, limit: int,
          cursor: str | None) -> TracePage:
    msg, is_source = message_for_party(deps, message_id, caller.unit)
    if is_source:
        return _trace(deps, msg, limit=limit, cursor=cursor)
    own = deps.table.get(*keys.delivery(message_id, caller.unit))
    return TracePage(items=[trace_view(line)
                            for line in lifecycle.destination_trace(msg, own)])


def _trace(deps: Deps, msg: Item, *, limit: int, cursor: str | None) -> TracePage:
    page = deps.table.query(keys.message_partition(msg["id"]), prefix=keys.TRACE,
                            limit=limit, cursor=cursor)
    return TracePage(items=[trace_view(i) for i in page.items], next_cursor=page.cursor)


def _deliveries(deps: Deps, msg: Item, *, limit: int, cursor: str | None) -> DeliveryPage:
    """Stored deliveries by unit code; before verification (or after abandonment), every
    destination in code order with the state it has without a delivery item."""
    if msg["state"] in (MessageState.VERIFIED, MessageState.COMPLETED) \
            or lifecycle.is_legacy(msg):
        page = deps.table.query(keys.message_partition(msg["id"]), prefix=keys.DELIVERIES,
                                limit=limit, cursor=_untag(cursor, "t"))
        return DeliveryPage(items=[delivery_view(i) for i in page.items],
                            next_cursor=_tag("t", page.cursor))
    after = _untag(cursor, "u") or ""
    units = [u for u in sorted(msg["to"]) if u > after]
    shown = units[:limit]
    more = len(units) > limit
    return DeliveryPage(items=[unstored_delivery_view(u, msg["state"]) for u in shown],
                        next_cursor=_tag("u", shown[-1]) if more else None)


def _tag(kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    raw = json.dumps([kind, value], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untag(cursor: str | None, kind: str) -> str | None:
    """The cursor's value if it is of `kind` (a message's deliveries are listed from its
    items once verified, from its addresses before)."""
    if cursor is None:
        return None
    try:
        tagged = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        tagged = None
    if not (isinstance(tagged, list) and len(tagged) == 2 and tagged[0] == kind
            and isinstance(tagged[1], str)):
        raise InvalidRequestError("The cursor is not valid.", code="invalid_cursor")
    return tagged[1]


def outbox(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> OutboxPage:
    """The caller's unit's sent messages, newest first, with their state (R-SEND-1)."""
    page = deps.table.query(keys.outbox_partition(caller.unit), limit=limit, cursor=cursor,
                            descending=True)
    items = [OutboxItem(id=i["id"], to=i["to"], title=i["title"], priority=i["priority"],
                        state=i["state"], created_at=iso(i["created_at"])) for i in page.items]
    return OutboxPage(items=items, next_cursor=page.cursor)
