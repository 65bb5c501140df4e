"""Status queries (R-SEND-5, R-PROP-11): a message's deliveries and trace, the outbox."""

from __future__ import annotations

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.exchange import iso
from chalicelib.domain.schemas import MessageStatus, OutboxItem, OutboxPage
from chalicelib.domain.signatures import Caller
from chalicelib.services.deps import Deps
from chalicelib.services.records import (
    delivery_view,
    message_partition,
    message_view,
    trace_view,
)


def message_status(deps: Deps, caller: Caller, message_id: str) -> MessageStatus:
    """The source sees every destination; a destination sees only its own delivery."""
    items = message_partition(deps, message_id) if message_id.isalnum() else []
    meta = next((i for i in items if i["sk"] == "META"), None)
    if meta is None:
        raise NotFoundError("No such message.", code="message_not_found")
    is_source = meta["source"] == caller.unit
    if not is_source and caller.unit not in meta["to"]:
        raise NotFoundError("No such message.", code="message_not_found")
    deliveries = [delivery_view(i) for i in items if i["sk"].startswith("DEST#")
                  and (is_source or i["unit"] == caller.unit)]
    trace = [trace_view(i) for i in items if i["sk"].startswith("EVT#")
             and (is_source or i.get("unit") in (None, caller.unit, meta["source"]))]
    return MessageStatus(message=message_view(meta), deliveries=deliveries, trace=trace)


def outbox(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> OutboxPage:
    """The caller's unit's sent messages, newest first, with their state (R-SEND-1)."""
    page = deps.table.query(f"OUTBOX#{caller.unit}", limit=limit, cursor=cursor,
                            descending=True)
    items = [OutboxItem(id=i["id"], to=i["to"], title=i["title"], priority=i["priority"],
                        state=i["state"], created_at=iso(i["created_at"])) for i in page.items]
    return OutboxPage(items=items, next_cursor=page.cursor)
