"""What the API shows of a message, a delivery and a trace line (never content)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.lifecycle import TraceLine, unstored_state
from chalicelib.domain.ports import Item
from chalicelib.domain.schemas import DeliveryView, MessageView, TraceEvent
from chalicelib.domain.times import iso


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
        deliver_at=_opt_iso(msg.get("deliver_at")), problems=msg.get("problems") or [],
        edxml=msg.get("edxml"),
    )


def delivery_view(item: Item) -> DeliveryView:
    return DeliveryView(
        unit=item["unit"], state=item["state"], fetch_count=item.get("fetch_count", 0),
        failed_fetches=item.get("failed_fetches", 0),
        available_at=_opt_iso(item.get("available_at")),
        first_fetched_at=_opt_iso(item.get("first_fetched_at")),
        confirmed_at=_opt_iso(item.get("confirmed_at")),
        rejected_at=_opt_iso(item.get("rejected_at")),
        expired_at=_opt_iso(item.get("expired_at")), reason=item.get("reason"),
        moved_to=item.get("moved_to"), addressed_to=item.get("addressed_to"),
        via=item.get("via"),
    )


def unstored_delivery_view(unit: str, message_state: str) -> DeliveryView:
    """A destination the message has not been put in the inbox of (yet)."""
    return DeliveryView(unit=unit, state=unstored_state(message_state))


def trace_view(item: Item | TraceLine) -> TraceEvent:
    if isinstance(item, TraceLine):
        return TraceEvent(at=iso(item.at), event=item.event, unit=item.unit,
                          detail=item.detail)
    return TraceEvent(at=iso(item["at"]), event=item["event"], unit=item.get("unit"),
                      detail=item.get("detail"))
