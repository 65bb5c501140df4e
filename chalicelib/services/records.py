"""Reading and writing the items of one exchange: shared by the send and receive cases.

Authorisation lives here too: a message is visible only to its source and destinations;
anyone else is told it does not exist (404, never 403).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain import keys
from chalicelib.domain.deadlines import day_of
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.exchange import day, iso
from chalicelib.domain.ports import Event, Item, Put, Update
from chalicelib.domain.schemas import DeliveryView, MessageView, TraceEvent
from chalicelib.services.deps import Deps

_NOT_FOUND = "No such message."


def load_message(deps: Deps, message_id: str) -> Item:
    if not message_id.isalnum() or len(message_id) > 64:
        raise NotFoundError(_NOT_FOUND, code="message_not_found")
    item = deps.table.get(*keys.message(message_id))
    if item is None:
        raise NotFoundError(_NOT_FOUND, code="message_not_found")
    return item


def message_for_source(deps: Deps, message_id: str, unit: str) -> Item:
    msg = load_message(deps, message_id)
    if msg["source"] != unit:
        raise NotFoundError(_NOT_FOUND, code="message_not_found")
    return msg


def delivery_for_destination(deps: Deps, message_id: str, unit: str) -> tuple[Item, Item]:
    """The message and the caller's own delivery record, or 404."""
    msg = load_message(deps, message_id)
    if unit not in msg["to"]:
        raise NotFoundError(_NOT_FOUND, code="message_not_found")
    delivery = deps.table.get(*keys.delivery(message_id, unit))
    if delivery is None:
        raise NotFoundError(_NOT_FOUND, code="message_not_found")
    return msg, delivery


def trace_put(deps: Deps, message_id: str, event: str, *, unit: str | None = None,
              detail: str | None = None) -> Put:
    at = deps.clock.now()
    pk, sk = keys.trace(message_id, at, deps.ids.new_id())
    return Put({"pk": pk, "sk": sk, "kind": "trace", "at": at, "event": event, "unit": unit,
                "detail": detail})


def history_put(deps: Deps, unit: str, message_id: str, event: str, *, peer: list[str],
                size: int) -> Put:
    """One line of a unit's exchange history (R-PROP-11)."""
    at = deps.clock.now()
    pk, sk = keys.history(unit, day(at)[:7], at, message_id, event)
    return Put({"pk": pk, "sk": sk, "kind": "history", "at": at, "message": message_id,
                "event": event, "peer": peer, "size": size})


def due_put(kind: str, due_at: int, message_id: str) -> Put:
    """Work for the sweeper at `due_at`, written in the same transaction as the change
    that schedules it (see chalicelib/domain/deadlines.py)."""
    pk, sk = keys.due(day_of(due_at), due_at, kind, message_id)
    return Put({"pk": pk, "sk": sk, "kind": "due", "work": kind, "due_at": due_at,
                "message_id": message_id})


def count(deps: Deps, unit: str, **counters: int) -> Update:
    """Atomic additions to the unit's counters of today (R-PROP-12)."""
    pk, sk = keys.daily_stats(unit, day(deps.clock.now()))
    return Update(pk, sk, set={"kind": "daily_stats", "unit": unit}, add=counters)


def _opt_iso(value: Any) -> str | None:
    return iso(value) if isinstance(value, int) else None


def message_view(msg: Item) -> MessageView:
    return MessageView(
        id=msg["id"], source=msg["source"], to=msg["to"], title=msg["title"],
        priority=msg["priority"], data_type=msg["data_type"], protocol=msg["protocol"],
        state=msg["state"], size=msg["size"], sha256=msg["sha256"],
        content_type=msg["content_type"], file_name=msg["file_name"], policy=msg["policy"],
        created_at=iso(msg["created_at"]), verified_at=_opt_iso(msg.get("verified_at")),
        completed_at=_opt_iso(msg.get("completed_at")),
        content_deleted_at=_opt_iso(msg.get("content_deleted_at")),
        confirm_by=iso(msg["confirm_by"]), rerouted=msg.get("rerouted") or {},
    )


def delivery_view(item: Item) -> DeliveryView:
    return DeliveryView(
        unit=item["unit"], state=item["state"], fetch_count=item.get("fetch_count", 0),
        failed_fetches=item.get("failed_fetches", 0),
        available_at=_opt_iso(item.get("available_at")),
        first_fetched_at=_opt_iso(item.get("first_fetched_at")),
        confirmed_at=_opt_iso(item.get("confirmed_at")),
        rejected_at=_opt_iso(item.get("rejected_at")), reason=item.get("reason"),
    )


def trace_view(item: Item) -> TraceEvent:
    return TraceEvent(at=iso(item["at"]), event=item["event"], unit=item.get("unit"),
                      detail=item.get("detail"))


def every_item(deps: Deps, pk: str, *, prefix: str | None = None,
               descending: bool = False) -> list[Item]:
    """Every item of one (small, bounded) partition, page after page."""
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = deps.table.query(pk, prefix=prefix, limit=200, cursor=cursor,
                                descending=descending)
        items.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            return items


def message_partition(deps: Deps, message_id: str) -> list[Item]:
    """Every item of one message (meta, deliveries, trace)."""
    return every_item(deps, f"MSG#{message_id}")


def tell(deps: Deps, events: Iterable[Event | None]) -> None:
    """Publish events after the change they announce is committed (the lists stay the
    truth; the events are the fast path)."""
    for event in events:
        if event is not None:
            deps.topic.publish(event)
