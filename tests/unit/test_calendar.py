"""Working days and the answer deadline (R-OPS-2): 5 working days after the day a request
became complete, skipping weekends and Vietnam's public holidays, in province time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.config import Settings
from chalicelib.domain import calendar
from chalicelib.domain.calendar import (
    BUILTIN_HOLIDAYS,
    answer_due,
    due_date,
    parse_holiday_setting,
    work_calendar,
)

BUILTIN = work_calendar("")


def test_friday_plus_five_working_days_is_the_next_friday() -> None:
    assert due_date(date(2026, 3, 6), 5, set()) == date(2026, 3, 13)


def test_a_holiday_in_between_pushes_it_one_more_day() -> None:
    assert due_date(date(2026, 3, 6), 5, {date(2026, 3, 10)}) == date(2026, 3, 16)


def test_a_holiday_on_a_weekend_changes_nothing() -> None:
    assert due_date(date(2026, 3, 6), 5, {date(2026, 3, 7)}) == date(2026, 3, 13)


def test_tet_2026_is_skipped() -> None:
    # Complete on Friday 13/02/2026: Mon 16 to Fri 20 are Tết, so the five days are 23-27.
    assert {date(2026, 2, d) for d in range(16, 21)} <= BUILTIN.holidays
    assert BUILTIN.due_date(date(2026, 2, 13), 5) == date(2026, 2, 27)


@pytest.mark.parametrize(("start", "due"), [
    (date(2025, 12, 31), date(2026, 1, 9)),   # New Year: Thu 1/1 and the swapped Fri 2/1
    (date(2026, 1, 7), date(2026, 1, 13)),    # Saturday 10/01/2026 is worked (swap)
    (date(2026, 4, 24), date(2026, 5, 6)),    # Hùng Kings (Mon 27/4 in lieu), 30/4, 1/5
    (date(2026, 8, 28), date(2026, 9, 9)),    # National Day: 31/8 (swap), 1/9, 2/9
])
def test_the_2026_schedule(start: date, due: date) -> None:
    assert BUILTIN.due_date(start, 5) == due


def test_the_builtin_list_has_the_statutory_days() -> None:
    for day in (date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 26), date(2026, 4, 30),
                date(2026, 5, 1), date(2026, 9, 2), date(2026, 9, 1)):
        assert day in BUILTIN_HOLIDAYS


def test_operators_add_and_remove_days_through_the_environment() -> None:
    settings = Settings.from_env({"LGSP_PUBLIC_HOLIDAYS": "2026-11-24, -2026-09-01"})
    cal = work_calendar(settings.public_holidays)
    assert date(2026, 11, 24) in cal.holidays and date(2026, 9, 1) not in cal.holidays
    assert cal.due_date(date(2026, 11, 20), 5) == date(2026, 11, 30)
    assert BUILTIN.due_date(date(2026, 11, 20), 5) == date(2026, 11, 27)
    assert cal.due_date(date(2026, 8, 28), 5) == date(2026, 9, 8)


def test_a_worked_weekend_day_can_be_declared() -> None:
    added, removed, worked = parse_holiday_setting("+2027-01-09")
    assert (added, removed, worked) == (frozenset(), frozenset(), {date(2027, 1, 9)})
    assert work_calendar("+2027-01-09").due_date(date(2027, 1, 7), 2) == date(2027, 1, 9)


@pytest.mark.parametrize("raw", ["2026-13-01", "24/11/2026", "2026-1-2", "*2026-01-02"])
def test_bad_entries_are_refused_naming_them(raw: str) -> None:
    with pytest.raises(ValueError, match="LGSP_PUBLIC_HOLIDAYS"):
        parse_holiday_setting(f"2026-11-24,{raw}")


def test_the_province_day_is_utc_plus_7() -> None:
    # 17:30 UTC on Thursday 05/03/2026 is already Friday 06/03 00:30 in Vietnam.
    completed = int(datetime(2026, 3, 5, 17, 30, tzinfo=UTC).timestamp())
    assert calendar.local_day(completed) == date(2026, 3, 6)
    day, due_at = answer_due(completed, 5, BUILTIN)
    assert day == date(2026, 3, 13)
    assert datetime.fromtimestamp(due_at, UTC) == datetime(2026, 3, 13, 16, 59, 59,
                                                           tzinfo=UTC)


def test_working_days_must_be_positive() -> None:
    with pytest.raises(ValueError):
        due_date(date(2026, 3, 6), 0, set())
