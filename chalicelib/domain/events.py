"""Which events a change of a message produces, and for whom (R-SEND-4, R-SEND-5, R-COMP-5).

Destinations are told `message.available`; the source is told the outcomes its exchange
policy asks for (`notify_on`). Events carry ids, priority and timestamps only: never a
title, a file name or content. The one exception is a maintenance notice (`notice`, R-OPS-4),
which is itself an announcement to every unit, and goes to every unit online whole; and a
status reply (`message.status`) carries the answering unit's own comment to the party it
answers, never anything of the document.
"""

from __future__ import annotations

from typing import Any

from .ports import Event
from .priority import Priority

AVAILABLE = "message.available"
OUTCOMES = {"fetched": "message.fetched", "fetch_failed": "message.fetch_failed",
            "confirmed": "message.confirmed", "rejected": "message.rejected",
            "expired": "message.expired", "undeliverable": "message.undeliverable",
            "waiting": "message.waiting", "rerouted": "message.rerouted"}
REFUSED = "message.refused"
STATUS = "message.status"
ONLINE, OFFLINE = "unit.online", "unit.offline"
PRESENCE = (ONLINE, OFFLINE)
NOTICE = "notice"
WEBHOOK_DISABLED = "webhook.disabled"
EVERY_UNIT = "*"  # the recipient of a broadcast: every unit online when it is pushed


def available(msg: dict[str, Any], unit: str, at: int) -> Event:
    """Tell a destination that a verified message waits in its inbox."""
    return Event(AVAILABLE, unit, msg["id"], msg["priority"], at,
                 {"source": msg["source"], "size": msg["size"],
                  "confirm_by": msg["confirm_by"]})


def outcome(msg: dict[str, Any], outcome_name: str, unit: str, at: int,
            **details: Any) -> Event | None:
    """Tell the source what happened at destination `unit`, if its policy asks for it.
    `details` (a reason, a time) carry no content either."""
    if outcome_name not in msg["policy"].get("notify_on", []):
        return None
    return Event(OUTCOMES[outcome_name], msg["source"], msg["id"], msg["priority"], at,
                 {"destination": unit, **details})


def refused(msg: dict[str, Any], at: int, problems: list[dict[str, str]]) -> Event:
    """Tell the source its edXML package was refused, and why (each problem's code and
    element; never the package's text). Always sent: nobody else will tell it."""
    return Event(REFUSED, msg["source"], msg["id"], msg["priority"], at,
                 {"problems": problems})


def status_reply(msg: dict[str, Any], reply: dict[str, Any], recipient: str,
                 meaning: str) -> Event:
    """Tell `recipient` (the source; for the source's 13, each destination) that a unit
    answered the message with a status code: the unit, the code and what it means, the
    unit's comment, the reply's id, and the hubs it came through when relayed. Always
    told (it is addressed to the recipient, not a state its policy may silence)."""
    data: dict[str, Any] = {"unit": reply["unit"], "code": reply["code"], "meaning": meaning,
                            "comment": reply.get("comment"), "reply_id": reply["id"]}
    if reply.get("hops"):
        data["hops"] = reply["hops"]
    return Event(STATUS, recipient, msg["id"], msg["priority"], reply["at"], data)


def presence(kind: str, unit: str, at: int) -> Event:
    """A unit came online (its first live connection) or went offline (its last one)."""
    return Event(kind, unit, None, None, at, {"unit": unit})


def notice(view: dict[str, Any], at: int) -> Event:
    """A notice published or cancelled (`view` as the API shows it, its state included),
    for every unit."""
    return Event(NOTICE, EVERY_UNIT, None, None, at, {"notice": view})


def webhook_disabled(unit: str, webhook_id: str, url: str, at: int) -> Event:
    """A unit's webhook endpoint failed every delivery for a day and the hub disabled it
    (docs/webhooks.md): the unit's own apps are told, and its other endpoints."""
    return Event(WEBHOOK_DISABLED, unit, None, None, at,
                 {"webhook_id": webhook_id, "url": url, "reason": "failing"})


def as_dict(event: Event) -> dict[str, Any]:
    """The event's JSON body, the same on every transport (absent ids are left out)."""
    body: dict[str, Any] = {"type": event.type, "recipient": event.recipient}
    if event.message_id is not None:
        body["message_id"] = event.message_id
    if event.priority is not None:
        body["priority"] = event.priority
    return {**body, "at": event.at, **dict(event.data)}


def from_dict(body: dict[str, Any]) -> Event:
    """The event back from its JSON body (the topic subscriber's side)."""
    fixed = {"type", "recipient", "message_id", "priority", "at"}
    return Event(str(body["type"]), str(body["recipient"]), body.get("message_id"),
                 body.get("priority"), int(body["at"]),
                 {k: v for k, v in body.items() if k not in fixed})


def push_order(event: Event) -> tuple[int, int]:
    """Order of pushes handled together: Hỏa tốc first, then oldest (R-PROP-4); presence
    events after message events of the same second."""
    ranks = {p.value: p.rank for p in Priority}
    return (ranks.get(event.priority or "", len(ranks)), event.at)
