"""Webhook subscriptions (issue 16, R-PROP-8; docs/webhooks.md): which events an
endpoint of a unit asks for, and whether an event matches it. Pure rules, no I/O: the
subscriptions' use cases and the delivery worker ask here.

A subscription belongs to a unit (the app that made it acts for its unit, as every call
does) and hears exactly what that unit would hear on its WebSocket (`services/push.audience`):
events addressed to the unit, notices to every unit, and for an operator unit the presence
of every unit. It narrows that down, never widens it:

- `events`: the event types wanted (`message.confirmed`, ...), or `["*"]` for all;
- `priorities`: only message events of these priorities (none: every priority);
- `counterparts`: only message events whose other party (the destination an outcome is
  about, the source of an arrival, the unit of a status reply) is one of these units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import identifiers
from .errors import InvalidRequestError
from .priority import Priority

# Every event type the hub emits (domain/events.py), by who hears it.
MESSAGE_EVENTS = ("message.available", "message.fetched", "message.fetch_failed",
                  "message.confirmed", "message.rejected", "message.expired",
                  "message.undeliverable", "message.waiting", "message.rerouted",
                  "message.refused", "message.status")
UNIT_EVENTS = ("notice", "webhook.disabled")
OPERATOR_EVENTS = ("unit.online", "unit.offline")
EVENT_TYPES = MESSAGE_EVENTS + UNIT_EVENTS + OPERATOR_EVENTS
EVERYTHING = "*"
MAX_FILTER_ENTRIES = 50


@dataclass(frozen=True)
class Interest:
    """What a subscription asks for (empty tuples: no narrowing)."""

    events: tuple[str, ...]
    priorities: tuple[str, ...] = ()
    counterparts: tuple[str, ...] = ()

    def wants_type(self, event_type: str) -> bool:
        return EVERYTHING in self.events or event_type in self.events


def interest(events: Sequence[str], priorities: Sequence[str] = (),
             counterparts: Sequence[str] = (), *, operator: bool) -> Interest:
    """A subscription's interest, checked: 400 `invalid_webhook_filter` naming the field
    and the value. Presence events are an operator unit's only (others never hear them)."""
    def refuse(field: str, why: str) -> InvalidRequestError:
        return InvalidRequestError(f"{field}: {why}", code="invalid_webhook_filter",
                                   field=field)

    if not events:
        raise refuse("events", f"name at least one event type, or '{EVERYTHING}'.")
    allowed = EVENT_TYPES if operator else MESSAGE_EVENTS + UNIT_EVENTS
    for name in events:
        if name != EVERYTHING and name not in allowed:
            hint = (" (presence events are for operator units)"
                    if name in OPERATOR_EVENTS else "")
            raise refuse("events", f"'{name[:60]}' is not an event type{hint}; one of "
                                   f"{', '.join(allowed)} or '{EVERYTHING}'.")
    for name, values in (("priorities", priorities), ("counterparts", counterparts)):
        if len(values) > MAX_FILTER_ENTRIES:
            raise refuse(name, f"at most {MAX_FILTER_ENTRIES} entries.")
    for value in priorities:
        if value not in {p.value for p in Priority}:
            raise refuse("priorities", f"'{value[:30]}' is not a priority; one of "
                                       f"{', '.join(p.value for p in Priority)}.")
    for code in counterparts:
        identifiers.parse(code, field="counterparts")
    return Interest(tuple(dict.fromkeys(events)), tuple(dict.fromkeys(priorities)),
                    tuple(dict.fromkeys(counterparts)))


def counterpart(body: Mapping[str, Any]) -> str | None:
    """The other party of a message event, from its JSON body (`events.as_dict`): the
    destination an outcome is about, the unit of a status reply, the source of an arrival."""
    for name in ("destination", "unit", "source"):
        value = body.get(name)
        if isinstance(value, str):
            return value
    return None


def hears(unit: str, body: Mapping[str, Any], *, operator: bool) -> bool:
    """Whether `unit` hears the event at all (what its WebSocket would be pushed)."""
    if body["type"] in OPERATOR_EVENTS:
        return operator and body.get("recipient") != unit
    return body.get("recipient") in (unit, "*")


def matches(wanted: Interest, unit: str, body: Mapping[str, Any], *, operator: bool) -> bool:
    """Whether a subscription of `unit` gets this event (`body`: `events.as_dict`)."""
    if not hears(unit, body, operator=operator) or not wanted.wants_type(body["type"]):
        return False
    if body["type"] not in MESSAGE_EVENTS:
        return not (wanted.priorities or wanted.counterparts)
    if wanted.priorities and body.get("priority") not in wanted.priorities:
        return False
    return not wanted.counterparts or counterpart(body) in wanted.counterparts


def matching(subscriptions: Iterable[tuple[str, Interest]], unit: str,
             body: Mapping[str, Any], *, operator: bool) -> list[str]:
    """The ids of `unit`'s subscriptions (id, interest) that get the event."""
    return [sid for sid, wanted in subscriptions
            if matches(wanted, unit, body, operator=operator)]
