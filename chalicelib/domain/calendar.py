"""Working days of the province, for the operator's answer deadline (R-OPS-2).

The IT department answers a request within `request_due_working_days` (5) working days of
receiving it complete. A working day is Monday to Friday, except the public holidays and
their compensatory or swapped days off; a Saturday the Government swapped into a working
day counts as one.

Built-in days off (2026, for cán bộ, công chức, viên chức):

- Labour Code 2019 (Bộ luật Lao động 45/2019/QH14), Art. 112: New Year 1 Jan; Tết
  Nguyên đán 5 days; Hùng Kings (10th day of the 3rd lunar month); 30 April; 1 May; National
  Day 2 September plus one adjacent day; a holiday on a weekly day off is taken on the next
  working day.
- The Government's 2026 schedule: New Year Thu 01/01 and Fri 02/01 (swapped with Sat
  10/01, Văn bản 12729/VPCP-KGVX of 25/12/2025); Tết Bính Ngọ Sat 14/02 to Sun 22/02, i.e.
  Mon 16/02 to Fri 20/02 (Tết Nguyên đán = Tue 17/02); Hùng Kings Sun 26/04, taken Mon
  27/04; 30/04 and 01/05 (Thu, Fri); National Day Sat 29/08 to Wed 02/09, i.e. Mon 31/08
  (swapped with Sat 22/08), Tue 01/09 and Wed 02/09 (the Prime Minister's decision on the
  Ministry of Home Affairs' proposal, October 2025).

2027 is not built in: its Tết days, its National Day adjacent day and any swaps are fixed
by the Government each year. Operators add or override days with `LGSP_PUBLIC_HOLIDAYS`
(see `parse_holiday_setting`), e.g. the Vietnam Culture Day 24/11, decided as a paid day off
in principle (Politburo Resolution 80-NQ/TW, January 2026) and not yet in the Labour Code.

Times in the table are epoch seconds; the province's days are Vietnam's (Asia/Ho_Chi_Minh:
UTC+7 all year, no daylight saving since 1975), so a fixed offset is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

PROVINCE_TZ = timezone(timedelta(hours=7), "ICT")

BUILTIN_HOLIDAYS: dict[date, str] = {
    date(2026, 1, 1): "Tết Dương lịch",
    date(2026, 1, 2): "Tết Dương lịch (hoán đổi, làm bù thứ Bảy 10/01/2026)",
    date(2026, 2, 16): "Tết Nguyên đán Bính Ngọ (29 tháng Chạp)",
    date(2026, 2, 17): "Tết Nguyên đán Bính Ngọ (mùng 1)",
    date(2026, 2, 18): "Tết Nguyên đán Bính Ngọ (mùng 2)",
    date(2026, 2, 19): "Tết Nguyên đán Bính Ngọ (mùng 3)",
    date(2026, 2, 20): "Tết Nguyên đán Bính Ngọ (mùng 4)",
    date(2026, 4, 26): "Giỗ Tổ Hùng Vương (10/3 âm lịch, Chủ nhật)",
    date(2026, 4, 27): "Nghỉ bù Giỗ Tổ Hùng Vương",
    date(2026, 4, 30): "Ngày Chiến thắng 30/4",
    date(2026, 5, 1): "Ngày Quốc tế Lao động",
    date(2026, 8, 31): "Quốc khánh (hoán đổi, làm bù thứ Bảy 22/08/2026)",
    date(2026, 9, 1): "Quốc khánh (ngày liền kề)",
    date(2026, 9, 2): "Quốc khánh",
}
BUILTIN_WORKING_WEEKENDS: dict[date, str] = {
    date(2026, 1, 10): "Làm bù cho thứ Sáu 02/01/2026",
    date(2026, 8, 22): "Làm bù cho thứ Hai 31/08/2026",
}
_ENTRY = re.compile(r"^([+-]?)(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class WorkCalendar:
    """Days off beyond weekends, and weekend days that are worked (swapped days)."""

    holidays: frozenset[date]
    working_weekends: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, self.holidays, self.working_weekends)

    def due_date(self, start: date, working_days: int) -> date:
        return due_date(start, working_days, set(self.holidays), self.working_weekends)


def is_working_day(day: date, holidays: set[date] | frozenset[date],
                   working_weekends: frozenset[date] = frozenset()) -> bool:
    if day in working_weekends:
        return True
    return day.weekday() < 5 and day not in holidays


def due_date(start: date, working_days: int, holidays: set[date],
             working_weekends: frozenset[date] = frozenset()) -> date:
    """The day `working_days` working days after `start` (the day itself not counted):
    complete on a Friday, 5 working days → the next Friday; a holiday in between → one
    day later."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day, left = start, working_days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, holidays, working_weekends):
            left -= 1
    return day


def parse_holiday_setting(raw: str) -> tuple[frozenset[date], frozenset[date],
                                             frozenset[date]]:
    """`LGSP_PUBLIC_HOLIDAYS`, the one place it is parsed and validated: comma-separated
    `YYYY-MM-DD` (a day off), `-YYYY-MM-DD` (not a day off, removing a built-in one) and
    `+YYYY-MM-DD` (a weekend day worked). Returns (added, removed, worked); a bad entry
    raises ValueError naming it."""
    added: set[date] = set()
    removed: set[date] = set()
    worked: set[date] = set()
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        found = _ENTRY.match(entry)
        try:
            day = date.fromisoformat(found.group(2)) if found else None
        except ValueError:
            day = None
        if found is None or day is None:
            raise ValueError(f"LGSP_PUBLIC_HOLIDAYS: {entry!r} is not YYYY-MM-DD "
                             "(optionally prefixed with - or +)")
        {"": added, "-": removed, "+": worked}[found.group(1)].add(day)
    return frozenset(added), frozenset(removed), frozenset(worked)


@lru_cache(maxsize=8)
def work_calendar(setting: str) -> WorkCalendar:
    """The built-in calendar with the operator's `LGSP_PUBLIC_HOLIDAYS` applied."""
    added, removed, worked = parse_holiday_setting(setting)
    holidays = (frozenset(BUILTIN_HOLIDAYS) | added) - removed
    return WorkCalendar(holidays=holidays,
                        working_weekends=(frozenset(BUILTIN_WORKING_WEEKENDS) | worked))


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
