"""The dates and times edXML carries, read strictly.

Dates are `yyyy/MM/dd` (the standard's spelling) or `yyyy-MM-dd`; times are
`yyyy/MM/dd HH:mm[:ss]` or ISO 8601 (`2026-12-01T07:45:00+07:00`). A time without an
offset is Vietnam's (UTC+07:00, no daylight saving), the packages' own clock.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
_DATE = re.compile(r"^(\d{4})[/-](\d{2})[/-](\d{2})$")
_TIME = re.compile(r"^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?"
                   r"(Z|[+-]\d{2}:\d{2})?$")


def parse_date(text: str | None) -> date | None:
    """The date, or None when the text is not one."""
    match = _DATE.match((text or "").strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_time(text: str | None) -> datetime | None:
    """The aware time, or None when the text is not one (a bare date is not a time)."""
    match = _TIME.match((text or "").strip())
    if match is None:
        return None
    *numbers, offset = match.groups()
    try:
        year, month, day, hour, minute = (int(g) for g in numbers[:5])
        second = int(numbers[5] or 0)
        zone = VIETNAM if offset is None else (
            UTC if offset == "Z" else datetime.strptime(offset, "%z").tzinfo)
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def end_of_day(day: date) -> datetime:
    """The last second of `day` in Vietnam: a date-only deadline means "by that day"."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=VIETNAM)


def format_time(moment: datetime) -> str:
    """`yyyy/MM/dd HH:mm:ss` in Vietnam's time, as the writer and status replies write."""
    return moment.astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S")
