"""Working days of the province, for the operator's answer deadline (R-OPS-2).

The IT department answers a request within `request_due_working_days` (5) working days of
receiving it complete. A working day is Monday to Friday, except the public holidays and
their compensatory or swapped days off; a weekend day the Government swapped into a
working day counts as one.

Where the days come from, for any year (`WorkCalendar.is_working_day`, first match wins):

1. The operator's `LGSP_PUBLIC_HOLIDAYS` (`parse_holiday_setting`): `YYYY-MM-DD` a day off,
   `+YYYY-MM-DD` a Saturday or Sunday worked, `-YYYY-MM-DD` an ordinary day (neither a day
   off nor a worked weekend day, whatever the calendar below says).
2. Vietnam's calendar from the maintained `holidays` package (`vietnam_year`): the Labour
   Code 2019 (Art. 112) days — New Year, Tết Nguyên đán (29 Tết to mùng 4, weekend days
   moved to the adjacent working days), Hùng Kings, 30 April, 1 May, National Day and its
   adjacent day, Vietnam Culture Day 24/11 from 2026 (Politburo Resolution 80-NQ/TW) —
   their days in lieu, and the swaps it knows (a day off "substituted from" a weekend
   day, which then is a worked day: e.g. Mon 31/08/2026 off, Sat 22/08/2026 worked).
3. `MISSING_DAYS_OFF` / `MISSING_WORKED_DAYS`: what the package lacks, from the
   Government's notices (one swap of 2026 as of `holidays` 0.109).
4. Otherwise Monday to Friday work, Saturday and Sunday do not.

Each year's swaps are announced by the Government (usually a few months ahead, by a
Văn bản of the Government Office on the Ministry of Home Affairs' proposal); until the
package's next release knows them, the operator adds them to `LGSP_PUBLIC_HOLIDAYS`
(the day off and the `+` weekend day worked) and the hub applies them on restart.

Purity: the `holidays` package is a pure computation of a year's dates (no clock, no
network, no environment; it reads only its own translation catalogue), so the domain may
call it; it is imported on the first due date, never on a cold start (it costs ~0.04 s,
and ~0.04 s a year, cached). Tests and callers can pass any other `official` calendar.

Times in the table are epoch seconds; the province's days are Vietnam's (Asia/Ho_Chi_Minh:
UTC+7 all year, no daylight saving since 1975), so a fixed offset is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

PROVINCE_TZ = timezone(timedelta(hours=7), "ICT")

# What `holidays` (0.109) lacks: New Year 2026 swapped Fri 02/01 for Sat 10/01
# (Văn bản 12729/VPCP-KGVX of 25/12/2025). An operator can take either back with `-`.
MISSING_DAYS_OFF: dict[date, str] = {
    date(2026, 1, 2): "Tết Dương lịch (hoán đổi, làm bù thứ Bảy 10/01/2026)",
}
MISSING_WORKED_DAYS: dict[date, str] = {
    date(2026, 1, 10): "Làm bù cho thứ Sáu 02/01/2026",
}
_ENTRY = re.compile(r"^([+-]?)(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class YearDays:
    """One year of an official calendar: days off beyond weekends, weekend days worked."""

    days_off: frozenset[date]
    worked: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Overrides:
    """The operator's `LGSP_PUBLIC_HOLIDAYS`: days off added, days made ordinary (`-`),
    weekend days worked (`+`)."""

    days_off: frozenset[date] = frozenset()
    ordinary: frozenset[date] = frozenset()
    worked: frozenset[date] = frozenset()


@lru_cache(maxsize=16)
def vietnam_year(year: int) -> YearDays:
    """Vietnam's days off and worked weekend days of `year`, from the `holidays` package
    and `MISSING_*`. Its neighbours are computed too: a swap recorded in one year may
    move a day of the next (Mon 31/12/2018 off, Sat 05/01/2019 worked)."""
    import holidays  # here, not at import: a cold start never pays for it

    vn = holidays.country_holidays("VN", years=range(year - 1, year + 2))
    days_off = {d for d in vn if d.year == year}
    worked = {d for d in vn.weekend_workdays if d.year == year}
    days_off |= {d for d in MISSING_DAYS_OFF if d.year == year}
    worked |= {d for d in MISSING_WORKED_DAYS if d.year == year}
    return YearDays(frozenset(days_off), frozenset(worked))


@dataclass(frozen=True)
class WorkCalendar:
    """The province's working days: the operator's overrides over an official calendar
    (Vietnam's, by default), for any year."""

    overrides: Overrides = field(default_factory=Overrides)
    official: Callable[[int], YearDays] = vietnam_year

    def is_working_day(self, day: date) -> bool:
        mine = self.overrides
        if day in mine.worked:
            return True
        if day in mine.days_off:
            return False
        if day in mine.ordinary:
            return day.weekday() < 5
        year = self.official(day.year)
        return is_working_day(day, year.days_off, year.worked)

    def due_date(self, start: date, working_days: int) -> date:
        return count_forward(start, working_days, self.is_working_day)


def is_working_day(day: date, holidays: set[date] | frozenset[date],
                   working_weekends: frozenset[date] = frozenset()) -> bool:
    if day in working_weekends:
        return True
    return day.weekday() < 5 and day not in holidays


def count_forward(start: date, working_days: int, is_working: Callable[[date], bool]
                  ) -> date:
    """The day `working_days` working days after `start` (the day itself not counted):
    complete on a Friday, 5 working days → the next Friday; a holiday in between → one
    day later."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day, left = start, working_days
    while left:
        day += timedelta(days=1)
        if is_working(day):
            left -= 1
    return day


def due_date(start: date, working_days: int, holidays: set[date],
             working_weekends: frozenset[date] = frozenset()) -> date:
    """`count_forward` over a calendar given as data."""
    return count_forward(start, working_days,
                         lambda day: is_working_day(day, holidays, working_weekends))


def _entry_day(entry: str) -> tuple[str, date]:
    found = _ENTRY.match(entry)
    try:
        day = date.fromisoformat(found.group(2)) if found else None
    except ValueError:
        day = None
    if found is None or day is None:
        raise ValueError(f"LGSP_PUBLIC_HOLIDAYS: {entry!r} is not YYYY-MM-DD "
                         "(optionally prefixed with - or +)")
    sign = found.group(1)
    if sign == "+" and day.weekday() < 5:
        raise ValueError(f"LGSP_PUBLIC_HOLIDAYS: {entry!r}: a worked day (+) must be a "
                         f"Saturday or Sunday; {day:%d/%m/%Y} is a {day:%A}")
    return sign, day


def parse_holiday_setting(raw: str) -> Overrides:
    """`LGSP_PUBLIC_HOLIDAYS`, the one place it is parsed and validated: comma-separated
    `YYYY-MM-DD` (a day off), `-YYYY-MM-DD` (an ordinary day, taking back a day off or a
    worked weekend day of the official calendar) and `+YYYY-MM-DD` (a Saturday or Sunday
    worked). A bad entry raises ValueError naming it."""
    kinds: dict[str, set[date]] = {"": set(), "-": set(), "+": set()}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        sign, day = _entry_day(entry)
        if any(day in days for other, days in kinds.items() if other != sign):
            raise ValueError(f"LGSP_PUBLIC_HOLIDAYS: {day.isoformat()} is given more than "
                             "once with different signs")
        kinds[sign].add(day)
    return Overrides(days_off=frozenset(kinds[""]), ordinary=frozenset(kinds["-"]),
                     worked=frozenset(kinds["+"]))


@lru_cache(maxsize=8)
def work_calendar(setting: str) -> WorkCalendar:
    """Vietnam's calendar with the operator's `LGSP_PUBLIC_HOLIDAYS` applied."""
    return WorkCalendar(overrides=parse_holiday_setting(setting))


def local_day(epoch: int) -> date:
    """The province's calendar day of an instant."""
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).date()


def end_of_day(day: date) -> int:
    """The last second of a province day, as epoch seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=PROVINCE_TZ)
    return int((start + timedelta(days=1)).timestamp()) - 1


def answer_due(completed_at: int, working_days: int, calendar: WorkCalendar
               ) -> tuple[date, int]:
    """When a request complete at `completed_at` must be answered: the due day and its
    last second (the answer is late once that second has passed)."""
    day = calendar.due_date(local_day(completed_at), working_days)
    return day, end_of_day(day)
