"""Working days and the answer deadline (R-OPS-2): 5 working days after the day a request
became complete, skipping weekends and Vietnam's public holidays of any year (the
`holidays` package) with the operator's overrides, in province time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from chalicelib.config import Settings
from chalicelib.domain import calendar
from chalicelib.domain.calendar import (
    Overrides,
    WorkCalendar,
    YearDays,
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
    assert not any(BUILTIN.is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert BUILTIN.due_date(date(2026, 2, 13), 5) == date(2026, 2, 27)


@pytest.mark.parametrize(("start", "due"), [
    (date(2025, 12, 31), date(2026, 1, 9)),   # New Year: Thu 1/1 and the swapped Fri 2/1
    (date(2026, 1, 7), date(2026, 1, 13)),    # Saturday 10/01/2026 is worked (swap)
    (date(2026, 4, 24), date(2026, 5, 6)),    # Hùng Kings (Mon 27/4 in lieu), 30/4, 1/5
    (date(2026, 8, 28), date(2026, 9, 9)),    # National Day: 31/8 (swap), 1/9, 2/9
])
def test_the_2026_schedule(start: date, due: date) -> None:
    assert BUILTIN.due_date(start, 5) == due


def test_the_statutory_days_of_2026_are_days_off() -> None:
    for day in (date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 27), date(2026, 4, 30),
                date(2026, 5, 1), date(2026, 9, 1), date(2026, 9, 2), date(2026, 11, 24)):
        assert not BUILTIN.is_working_day(day)


def test_operators_add_and_remove_days_through_the_environment() -> None:
    settings = Settings.from_env({"LGSP_PUBLIC_HOLIDAYS": "2026-11-25, -2026-09-01"})
    cal = work_calendar(settings.public_holidays)
    assert not cal.is_working_day(date(2026, 11, 25)) and cal.is_working_day(date(2026, 9, 1))
    # Culture Day (Tue 24/11) is off for everyone; the added Wed 25/11 one day more.
    assert BUILTIN.due_date(date(2026, 11, 20), 5) == date(2026, 11, 30)
    assert cal.due_date(date(2026, 11, 20), 5) == date(2026, 12, 1)
    assert cal.due_date(date(2026, 8, 28), 5) == date(2026, 9, 8)


def test_a_worked_weekend_day_can_be_declared() -> None:
    assert parse_holiday_setting("+2027-01-09") == Overrides(worked=frozenset(
        {date(2027, 1, 9)}))
    assert work_calendar("+2027-01-09").due_date(date(2027, 1, 7), 2) == date(2027, 1, 9)


def test_the_official_calendar_can_be_passed_in() -> None:
    plain = WorkCalendar(official=lambda year: YearDays(frozenset()))
    assert plain.due_date(date(2027, 2, 3), 5) == date(2027, 2, 10)
    one_off = WorkCalendar(official=lambda year: YearDays(frozenset({date(2027, 2, 4)}),
                                                          frozenset({date(2027, 2, 6)})))
    assert one_off.due_date(date(2027, 2, 3), 2) == date(2027, 2, 6)


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


# -- every year, not only 2026 (the holidays package plus the operator's overrides) -------

def test_a_request_completed_just_before_tet_2027_is_due_after_it() -> None:
    # Tết Đinh Mùi: Thu 04/02 (29 Tết) to Wed 10/02/2027 off; complete Wed 03/02 → the
    # five working days are Thu 11, Fri 12, Mon 15, Tue 16, Wed 17.
    assert BUILTIN.due_date(date(2027, 2, 3), 5) == date(2027, 2, 17)
    completed = int(datetime(2027, 2, 3, 9, 0, tzinfo=UTC).timestamp())
    assert answer_due(completed, 5, BUILTIN)[0] == date(2027, 2, 17)


@pytest.mark.parametrize("day", [
    date(2027, 1, 1), date(2027, 2, 4), date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9),
    date(2027, 2, 10), date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 3),
    date(2027, 9, 2), date(2027, 9, 3), date(2027, 11, 24)])
def test_2027_days_off_are_not_working_days(day: date) -> None:
    assert not BUILTIN.is_working_day(day)


def test_every_day_off_the_package_knows_is_not_a_working_day() -> None:
    import holidays
    for year in (2027, 2028, 2030):
        for day, name in holidays.country_holidays("VN", years=year).items():
            assert not BUILTIN.is_working_day(day), (day, name)


def test_operator_overrides_apply_in_any_year() -> None:
    assert not BUILTIN.is_working_day(date(2027, 9, 3))
    cal = work_calendar("2028-06-15, -2027-09-03, +2027-02-20")
    assert not cal.is_working_day(date(2028, 6, 15))   # a day off added
    assert cal.is_working_day(date(2027, 9, 3))        # a package day off removed
    assert cal.is_working_day(date(2027, 2, 20))       # a Saturday worked
    assert cal.due_date(date(2027, 2, 18), 2) == date(2027, 2, 20)


def test_a_worked_weekend_day_the_package_knows_can_be_removed() -> None:
    assert BUILTIN.is_working_day(date(2026, 8, 22))   # swapped for Mon 31/08/2026
    assert not work_calendar("-2026-08-22").is_working_day(date(2026, 8, 22))


@pytest.mark.parametrize(("raw", "why"), [
    ("2027-02-30", "2027-02-30"),
    ("+2027-02-03", "Saturday or Sunday"),
    ("2027-05-06,-2027-05-06", "more than once"),
])
def test_a_bad_override_stops_the_start_naming_it(raw: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings.from_env({"LGSP_PUBLIC_HOLIDAYS": raw})
