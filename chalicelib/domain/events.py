"""Which events a change of a message produces, and for whom (R-SEND-4, R-SEND-5, R-COMP-5).

Destinations are told `message.available`; the source is told the outcomes its exchange
policy asks for (`notify_on`). Events carry ids, priority and timestamps only: never a
title, a file name or content.
"""

from __future__ import annotations

from typing import Any

from .ports import Event

AVAILABLE = "message.available"
OUTCOMES = {"fetched": "message.fetched", "fetch_failed": "message.fetch_failed",
            "confirmed": "message.confirmed", "rejected": "message.rejected",
            "expired": "message.expired", "undeliverable": "message.undeliverable"}


def available(msg: dict[str, Any], unit: str, at: int) -> Event:
    """Tell a destination that a verified message waits in its inbox."""
    return Event(AVAILABLE, unit, msg["id"], msg["priority"], at,
                 {"source": msg["source"], "size": msg["size"],
                  "confirm_by": msg["confirm_by"]})


def outcome(msg: dict[str, Any], outcome_name: str, unit: str, at: int) -> Event | None:
    """Tell the source what happened at destination `unit`, if its policy asks for it."""
    if outcome_name not in msg["policy"].get("notify_on", []):
        return None
    return Event(OUTCOMES[outcome_name], msg["source"], msg["id"], msg["priority"], at,
                 {"destination": unit})


def as_dict(event: Event) -> dict[str, Any]:
    """The event's JSON body, the same on every transport."""
    return {"type": event.type, "recipient": event.recipient, "message_id": event.message_id,
            "priority": event.priority, "at": event.at, **dict(event.data)}
