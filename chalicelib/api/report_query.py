"""What every report route takes: the period, in the province's calendar (docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from chalicelib.api.http import Call, QueryParam

if TYPE_CHECKING:
    from chalicelib.domain.periods import Period

PERIOD_QUERY = (
    QueryParam("period", "day, month (the default), quarter, year, or range (with from and "
               "to), in the province's calendar.",
               {"type": "string", "enum": ["day", "month", "quarter", "year", "range"]}),
    QueryParam("date", "The day (2026-11-29), month (2026-11), quarter (2026-Q4) or year "
               "(2026) asked for; default: the one running now.", {"type": "string"}),
    QueryParam("from", "A range's first day (YYYY-MM-DD).",
               {"type": "string", "format": "date"}),
    QueryParam("to", "A range's last day, included (YYYY-MM-DD; at most 366 days).",
               {"type": "string", "format": "date"}),
)


def period_of(call: Call) -> Period:
    """The period the query asks for (400 `invalid_period` naming what is wrong)."""
    from chalicelib.domain import periods
    from chalicelib.domain.times import province_day
    today = date.fromisoformat(province_day(call.deps.clock.now()))
    return periods.from_query(call.query("period"), call.query("date"), call.query("from"),
                              call.query("to"), today=today)
