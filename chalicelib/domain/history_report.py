"""The exchange-history report's rules (R-PROP-11): which history lines a period covers,
which of them a filter keeps, and the cursor that pages through them.

A unit's history lines sit in one partition per province month (`keys.history`); lines
written before the history moved to the province's month sit in their UTC month's
partition, so the first seven hours of a province month are also read from the previous
month's partition. A period is therefore read as `segments`: per month, the previous
month's partition then the month's own, each bounded to the period, oldest first.

The cursor says where the next page starts: the segment (month and partition), the
table's own cursor inside it, and how many lines of that table page were already read;
it names its listing (unit, period and filters), so it serves that listing only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import paging
from .errors import InvalidRequestError
from .identifiers import parse as parse_unit_code
from .paging import Position
from .periods import Period
from .priority import Priority
from .times import month_bounds, previous_month

EVENTS = ("sent", "received", "rejected", "expired")
DIRECTIONS = ("sent", "received")
CURSOR_TAG = "hist"


def direction_of(event: str) -> str:
    """`sent` lines are the unit's own messages; the others are messages it was sent."""
    return "sent" if event == "sent" else "received"


@dataclass(frozen=True)
class HistoryFilter:
    """What the caller asked to keep; None keeps everything. A line without a priority
    (written before priorities were kept) never matches a priority."""

    direction: str | None = None
    counterpart: str | None = None
    event: str | None = None
    priority: str | None = None

    @classmethod
    def parse(cls, *, direction: str | None, counterpart: str | None, event: str | None,
              priority: str | None) -> HistoryFilter:
        """The query's filters, each checked: 400 `invalid_request` naming the parameter,
        or `invalid_unit_code` for a malformed counterpart."""
        _one_of("direction", direction, DIRECTIONS)
        _one_of("event", event, EVENTS)
        _one_of("priority", priority, tuple(p.value for p in Priority))
        if counterpart is not None:
            parse_unit_code(counterpart, field="counterpart")
        return cls(direction, counterpart, event, priority)

    def matches(self, line: dict[str, Any]) -> bool:
        event = str(line["event"])
        return ((self.event is None or event == self.event)
                and (self.direction is None or direction_of(event) == self.direction)
                and (self.counterpart is None or self.counterpart in (line.get("peer") or []))
                and (self.priority is None or line.get("priority") == self.priority))


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidRequestError(f"{name} must be one of {', '.join(allowed)}.",
                                  code="invalid_request")


@dataclass(frozen=True)
class Segment:
    """One partition's share of one province month of the period."""

    month: str  # the province month read ('2026-12')
    partition: str  # the partition's month: `month`, or the one before it (old lines)
    start: int  # first second (epoch), inclusive
    end: int  # last second, inclusive

    @property
    def id(self) -> str:
        return f"{self.month}/{self.partition}"

    @property
    def sort_range(self) -> tuple[str, str]:
        """The `sk` range of the lines of [start, end] (`keys.history`)."""
        return f"{self.start:012d}", f"{self.end:012d}~"


def segments(period: Period) -> list[Segment]:
    """Every segment of the period, oldest first."""
    found: list[Segment] = []
    month = period.first.isoformat()[:7]
    last = period.last.isoformat()[:7]
    while month <= last:
        first_second, last_second = month_bounds(month)
        start, end = max(first_second, period.start), min(last_second, period.end)
        found += [Segment(month, previous_month(month), start, end),
                  Segment(month, month, start, end)]
        year, number = (int(part) for part in month.split("-"))
        month = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return found


def listing(unit: str, period: Period, wanted: HistoryFilter) -> str:
    """A short name of what is listed: a cursor serves no other unit, period or filter."""
    return paging.listing_name(unit, period.kind, period.label, wanted.direction,
                               wanted.counterpart, wanted.event, wanted.priority)


def encode_cursor(name: str, found: list[Segment], at: Position) -> str:
    return paging.encode_cursor(CURSOR_TAG, name, found, at)


def decode_cursor(name: str, found: list[Segment], cursor: str | None) -> Position:
    """The position a cursor of this listing (`name`) points at; 400 `invalid_cursor` for
    any other cursor (another listing's, another unit's, period's or filter's, or not a
    cursor at all)."""
    return paging.decode_cursor(CURSOR_TAG, name, found, cursor, refusal=(
        "The cursor is not valid for this history, period and filters."))
