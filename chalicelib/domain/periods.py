"""The periods reports are asked for, in the province's calendar (Asia/Ho_Chi_Minh):
a day, a month, a quarter, a year, or a range of days (R-PROP-11, R-PROP-12).

`parse` turns the query (`period` and `date`, or `from` and `to`) into a `Period`: its
first and last day, its bounds in epoch seconds, and which pre-aggregated counters cover
it (whole months as month counters, the rest as day counters), so a report reads a
bounded number of items whatever the period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import InvalidRequestError
from .times import province_midnight

KINDS = ("day", "month", "quarter", "year", "range")
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date  # inclusive

    @property
    def label(self) -> str:
        """For titles and file names: '2026-11-29', '2026-11', '2026-Q4', '2026',
        '2026-11-01..2026-11-15'."""
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return self.first.isoformat()[:7]
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def start(self) -> int:
        """The first second of the period (epoch)."""
        return province_midnight(self.first)

    @property
    def end(self) -> int:
        """The last second of the period (epoch)."""
        return province_midnight(self.last + timedelta(days=1)) - 1

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def pieces(self) -> tuple[list[str], list[str]]:
        """The counters that cover the period exactly: whole months ('2026-11') and the
        remaining days ('2026-12-01'), each counted once."""
        months: list[str] = []
        days: list[str] = []
        day = self.first
        while day <= self.last:
            following = _next_month(day.replace(day=1))
            if day.day == 1 and following - timedelta(days=1) <= self.last:
                months.append(day.isoformat()[:7])
                day = following
            else:
                days.append(day.isoformat())
                day += timedelta(days=1)
        return months, days


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _refuse(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code="invalid_period")


def _day(text: str, name: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)  # 3.11's fromisoformat also takes 20261129, 2026-W48-1
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _refuse(f"{name} must be a day, YYYY-MM-DD (got '{text[:20]}').") from exc


def _range(first: str | None, last: str | None) -> Period:
    if not first or not last:
        raise _refuse("A range needs from and to (YYYY-MM-DD).")
    start, end = _day(first, "from"), _day(last, "to")
    if end < start:
        raise _refuse("to comes before from.")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise _refuse(f"A range is at most {MAX_RANGE_DAYS} days; ask by year.")
    return Period("range", start, end)


def parse(period: str | None, when: str | None, first: str | None = None,
          last: str | None = None) -> Period:
    """`period=day&date=2026-11-29`, `month&date=2026-11`, `quarter&date=2026-Q4`,
    `year&date=2026`, or `range&from=2026-11-01&to=2026-11-15` (at most 366 days);
    400 `invalid_period` naming what is wrong."""
    kind = ("range" if first or last else "month") if period is None else period
    if kind not in KINDS:
        raise _refuse(f"period must be one of {', '.join(KINDS)}.")
    if kind == "range":
        return _range(first, last)
    if first or last:
        raise _refuse(f"from and to go with period=range, not period={kind}.")
    if not when:
        raise _refuse(f"period={kind} needs date.")
    if kind == "day":
        day = _day(when, "date")
        return Period(kind, day, day)
    if kind == "month":
        found = re.fullmatch(r"(\d{4})-(\d{2})", when)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise _refuse("A month is YYYY-MM.")
        start = date(int(found.group(1)), int(found.group(2)), 1)
        return Period(kind, start, _next_month(start) - timedelta(days=1))
    if kind == "quarter":
        found = re.fullmatch(r"(\d{4})-Q([1-4])", when)
        if not found:
            raise _refuse("A quarter is YYYY-Qn, n from 1 to 4.")
        start = date(int(found.group(1)), 3 * int(found.group(2)) - 2, 1)
        end = _next_month(_next_month(_next_month(start))) - timedelta(days=1)
        return Period(kind, start, end)
    found = re.fullmatch(r"\d{4}", when)
    if not found:
        raise _refuse("A year is YYYY.")
    return Period(kind, date(int(when), 1, 1), date(int(when), 12, 31))


def current(kind: str, today: date) -> str:
    """The `date` of the day, month, quarter or year running on `today`."""
    if kind == "day":
        return today.isoformat()
    if kind == "quarter":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return str(today.year) if kind == "year" else today.isoformat()[:7]


def from_query(period: str | None, when: str | None, first: str | None, last: str | None,
               *, today: date) -> Period:
    """A report's query: one way to ask for each period (`date` with a day, month,
    quarter or year; `from` and `to` with a range; an empty value is an error, not an
    absence); without `date`, the period running on `today`."""
    for name, value in (("period", period), ("date", when), ("from", first), ("to", last)):
        if value == "":
            raise _refuse(f"{name} is empty: give a value or leave it out.")
    ranged = period == "range" or (period is None and (first is not None or last is not None))
    if ranged and when is not None:
        raise _refuse("date goes with period=day, month, quarter or year; from and to with "
                      "period=range.")
    if when is None and not ranged and (period is None or period in KINDS):
        when = current(period or "month", today)
    return parse(period, when, first, last)
