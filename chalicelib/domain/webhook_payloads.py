"""The body of a webhook delivery, built from one of the hub's events (R-PROP-8).

    {"type": "message.available", "id": "evt_…", "timestamp": "2026-11-30T09:00:00Z",
     "data": {"recipient": "000.00.01.H01", "message_id": "…", "priority": "thuong",
              "at": 1764493200, "source": "…", "size": 1024, "confirm_by": …}}

`type` is the event's type; `id` the event's id, the same on every retry and equal to the
`webhook-id` header, so a receiver drops a delivery it has seen; `timestamp` when the event
happened (ISO-8601 UTC); `data` the event exactly as the WebSocket carries it
(`events.as_dict` without its `type`), so an app handles both with one function. An event
carries ids, priority and times, never content nor a title (`domain/events.py`), and so does
its webhook: nothing is added here.
"""

from __future__ import annotations

import json
from typing import Any

from .events import as_dict
from .ports import Event
from .times import iso
from .webhook_signing import valid_id


def payload(event: Event, event_id: str) -> dict[str, Any]:
    """The delivery's JSON object for `event`, known to receivers by `event_id`."""
    if not valid_id(event_id):
        raise ValueError("an event id is non-empty, without dots, spaces or line breaks")
    data = {k: v for k, v in as_dict(event).items() if k != "type"}
    return {"type": event.type, "id": event_id, "timestamp": iso(event.at), "data": data}


def body(document: dict[str, Any]) -> bytes:
    """The bytes that are signed and sent: compact UTF-8 JSON, Vietnamese unescaped."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
