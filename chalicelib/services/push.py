"""Server push over WebSocket (R-COMP-5, R-SEND-1, R-RECV-1).

The topic subscriber hands each event to `deliver`, which posts it to every live
connection of the recipient unit (and, for presence, of the operators). The pull lists
stay the truth: a connection asks for `summary` when it opens, so nothing announced while
it was away is lost; pushes are the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib.domain import events, keys
from chalicelib.domain.ports import Event, Item
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import notices
from chalicelib.services.connections import post, unit_connections
from chalicelib.services.deps import Deps
from chalicelib.services.inbox import inbox
from chalicelib.services.partitions import every_item
from chalicelib.services.roles import operator_units
from chalicelib.services.status import outbox

SUMMARY_ITEMS = 50  # per list: a frame stays well under the gateway's 128 KiB
SUMMARY_NOTICES = 10  # without their bodies (GET /v1/notices has them)


def frame(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def audience(deps: Deps, event: Event) -> list[str]:
    """Who hears an event: its recipient; a presence change goes to the operators (the unit
    itself knows: its first connection is still opening, its last one is closed); a
    broadcast (a notice) to every unit online now, read from the `ONLINE` index (one page
    per 200 units online), never from the registry."""
    if event.type in events.PRESENCE:
        return sorted(operator_units(deps) - {event.recipient})
    if event.recipient == events.EVERY_UNIT:
        return [item["unit"] for item in every_item(deps, keys.ONLINE)]
    return [event.recipient]


def deliver(deps: Deps, event: Event) -> int:
    """Post one event to its audience's live connections; returns frames delivered."""
    data, sent = frame(events.as_dict(event)), 0
    for unit in audience(deps, event):
        for conn in unit_connections(deps, unit):
            sent += post(deps, conn, data)
    return sent


def deliver_all(deps: Deps, batch: Iterable[Event]) -> int:
    """Events that arrive together go out Hỏa tốc first, then oldest first (R-PROP-4)."""
    return sum(deliver(deps, event) for event in sorted(batch, key=events.push_order))


def caller_of(conn: Item) -> Caller:
    """The authenticated identity a connection was opened with."""
    return Caller(unit=conn["unit"], app=conn["app"], key_id=conn["key_id"],
                  algorithm=conn["algorithm"], nonce=None, created=conn["connected_at"])


def summary(deps: Deps, conn: Item) -> dict[str, Any]:
    """What waits for the unit (priority order, then age), the state of what it sent, and
    the maintenance notices current now (R-OPS-4), so none published while it was away is
    missed."""
    caller = caller_of(conn)
    waiting = inbox(deps, caller, limit=SUMMARY_ITEMS, cursor=None)
    sent = outbox(deps, caller, limit=SUMMARY_ITEMS, cursor=None)
    announced = notices.current(deps).items
    return {
        "type": "summary", "unit": conn["unit"], "app": conn["app"],
        "connection_id": conn["connection_id"], "server_time": iso(deps.clock.now()),
        "heartbeat_seconds": deps.settings.heartbeat_seconds,
        "inbox": {"items": [i.model_dump(mode="json") for i in waiting.items],
                  "more": waiting.next_cursor is not None},
        "outbox": {"items": [i.model_dump(mode="json") for i in sent.items],
                   "more": sent.next_cursor is not None},
        "notices": {"items": [n.model_dump(mode="json", exclude={"body"})
                              for n in announced[:SUMMARY_NOTICES]],
                    "more": len(announced) > SUMMARY_NOTICES},
    }
