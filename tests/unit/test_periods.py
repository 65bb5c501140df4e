"""Report periods in the province's calendar (R-PROP-11)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import periods
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.times import PROVINCE_TZ


def test_each_kind_of_period() -> None:
    assert periods.parse("day", "2026-11-29").label == "2026-11-29"
    month = periods.parse("month", "2026-02")
    assert (month.first, month.last) == (date(2026, 2, 1), date(2026, 2, 28))
    quarter = periods.parse("quarter", "2026-Q4")
    assert (quarter.first, quarter.last, quarter.label) == (
        date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert periods.parse("year", "2026").pieces() == ([f"2026-{m:02d}" for m in range(1, 13)],
                                                      [])
    assert periods.parse(None, None, "2026-11-01", "2026-11-03").kind == "range"


def test_a_range_is_covered_by_whole_months_and_the_days_around_them() -> None:
    months, days = periods.parse("range", None, "2026-10-30", "2026-12-02").pieces()
    assert months == ["2026-11"]
    assert days == ["2026-10-30", "2026-10-31", "2026-12-01", "2026-12-02"]


def test_bounds_are_the_provinces_midnights() -> None:
    day = periods.parse("day", "2026-11-29")
    assert day.end - day.start == 24 * 3600 - 1
    from datetime import datetime
    assert datetime.fromtimestamp(day.start, PROVINCE_TZ).hour == 0


@pytest.mark.parametrize(("args"), [
    ("week", "2026-11"), ("month", "2026-13"), ("month", None), ("quarter", "2026-Q5"),
    ("year", "26"), ("day", "2026-02-30"), ("range", None, "2026-11-02", "2026-11-01"),
    ("range", None, "2025-01-01", "2026-12-31"), ("range", None, "2026-11-01", None),
    ("", "2026-11"), ("day", "20261129"), ("day", "2026-W48-1"),
    ("month", "2026-11", "2026-11-01", "2026-11-02"),
])
def test_bad_periods_are_refused_with_their_reason(args: tuple[str | None, ...]) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        periods.parse(*args)
    assert refused.value.code == "invalid_period"


def test_a_query_asks_for_each_period_one_way_and_defaults_to_the_current_one() -> None:
    today = date(2026, 11, 29)
    assert periods.from_query(None, None, None, None, today=today).label == "2026-11"
    assert periods.from_query("quarter", None, None, None, today=today).label == "2026-Q4"
    assert periods.from_query("day", None, None, None, today=today).label == "2026-11-29"
    assert periods.from_query(None, None, "2026-11-01", "2026-11-02", today=today).kind == \
        "range"
    for bad in (("", None, None, None), ("month", "", None, None),
                ("range", "2026-11", "2026-11-01", "2026-11-02"),
                ("month", None, "2026-11-01", "2026-11-02"), ("week", None, None, None)):
        with pytest.raises(InvalidRequestError) as refused:
            periods.from_query(*bad, today=today)
        assert refused.value.code == "invalid_period"
