"""Reading a log a page at a time, newest first (the audit log and the units' error logs,
docs/audit.md). Pure: which month partitions a period covers and the cursor.

A log sits in one partition per province month; a period is read month by month, newest
month first, each bounded to the period's seconds (`domain/paging.py`: the cursor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import paging
from .paging import Position
from .periods import Period
from .times import month_bounds


@dataclass(frozen=True)
class MonthSpan:
    """One province month of a period: its partition's month and the seconds asked for."""

    month: str
    start: int
    end: int

    @property
    def id(self) -> str:
        return self.month

    @property
    def sort_range(self) -> tuple[str, str]:
        """The `sk` range of the lines of [start, end] (`{at:012d}#{id}` keys)."""
        return f"{self.start:012d}", f"{self.end:012d}~"


def months_newest_first(period: Period) -> list[MonthSpan]:
    found: list[MonthSpan] = []
    month, last = period.first.isoformat()[:7], period.last.isoformat()[:7]
    while month <= last:
        first_second, last_second = month_bounds(month)
        found.append(MonthSpan(month, max(first_second, period.start),
                               min(last_second, period.end)))
        year, number = (int(part) for part in month.split("-"))
        month = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return found[::-1]


@dataclass(frozen=True)
class Filter:
    """Lines whose fields equal the given values (None keeps everything)."""

    wanted: Mapping[str, str | None]

    def matches(self, line: Mapping[str, Any]) -> bool:
        return all(value is None or line.get(name) == value
                   for name, value in self.wanted.items())


def listing(tag: str, scope: str, period: Period, wanted: Filter) -> str:
    """A short name of what is listed: a cursor serves no other scope, period or filter."""
    return paging.listing_name(tag, scope, period.kind, period.label,
                               sorted(wanted.wanted.items()))


def encode_cursor(name: str, spans: list[MonthSpan], at: Position) -> str:
    return paging.encode_cursor("log", name, spans, at)


def decode_cursor(name: str, spans: list[MonthSpan], cursor: str | None) -> Position:
    """The position a cursor of this listing points at; 400 `invalid_cursor` otherwise."""
    return paging.decode_cursor("log", name, spans, cursor, refusal=(
        "The cursor is not valid for this log, period and filters."))
