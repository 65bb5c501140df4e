"""Reading a log a page at a time, newest first (the audit log and the units' error logs,
docs/audit.md). Pure: which month partitions a period covers and the cursor.

A log sits in one partition per province month; a period is read month by month, newest
month first, each bounded to the period's seconds. The cursor says which month, the
table's own cursor inside it and how many lines of that table page were already read;
it names its listing (who, period, filters), so it serves that listing only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .periods import Period
from .times import month_bounds

MAX_SKIP = 10_000  # larger than any table page a log is read with


@dataclass(frozen=True)
class MonthSpan:
    """One province month of a period: its partition's month and the seconds asked for."""

    month: str
    start: int
    end: int

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


@dataclass(frozen=True)
class Position:
    """Where reading goes on: month `index`, the table's cursor in it, lines skipped."""

    index: int = 0
    table_cursor: str | None = None
    skip: int = 0


def listing(tag: str, scope: str, period: Period, wanted: Filter) -> str:
    """A short name of what is listed: a cursor serves no other scope, period or filter."""
    text = json.dumps([tag, scope, period.kind, period.label, sorted(wanted.wanted.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(name: str, spans: list[MonthSpan], at: Position) -> str:
    raw = json.dumps([name, spans[at.index].month, at.table_cursor, at.skip],
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(name: str, spans: list[MonthSpan], cursor: str | None) -> Position:
    """The position a cursor of this listing points at; 400 `invalid_cursor` otherwise."""
    if cursor is None:
        return Position()
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        value = None
    if isinstance(value, list) and len(value) == 4 and value[0] == name:
        _, month, table_cursor, skip = value
        index = next((n for n, s in enumerate(spans) if s.month == month), None)
        if (index is not None and isinstance(table_cursor, str | None)
                and isinstance(skip, int) and not isinstance(skip, bool)
                and 0 <= skip <= MAX_SKIP):
            return Position(index, table_cursor, skip)
    raise InvalidRequestError("The cursor is not valid for this log, period and filters.",
                              code="invalid_cursor")
