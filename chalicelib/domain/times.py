"""Times of the hub: epoch seconds in the table, ISO-8601 UTC on the wire, and the
province's calendar for everything people count by (R-PROP-11, R-PROP-12).

The province's day is Vietnam's (Asia/Ho_Chi_Minh): UTC+7 all year, no daylight saving
since 1975, so a fixed offset is exact. Counters and history are bucketed by that day
and month; the sweeper's own work queue stays on UTC days (nobody reads it by day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

PROVINCE_TZ = timezone(timedelta(hours=7), "ICT")


def iso(epoch: int) -> str:
    """Epoch seconds as an ISO-8601 UTC timestamp ('2026-11-29T02:45:56Z')."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day(epoch: int) -> str:
    """The UTC calendar day of an instant ('2026-11-29')."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def province_day(epoch: int) -> str:
    """The province's calendar day of an instant: 23:30 UTC on the 28th is the 29th."""
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%Y-%m-%d")


def province_date(epoch: int) -> date:
    """The province's calendar day of an instant, as a date."""
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).date()


def parse_iso(text: str) -> int:
    """An ISO-8601 timestamp of the wire ('2026-11-29T02:45:56Z') as epoch seconds."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def province_clock(value: int | str | None) -> str:
    """An instant (epoch seconds or the wire's ISO text) as people of the province read
    it: '2026-11-29 09:45' (Asia/Ho_Chi_Minh); '' for none."""
    if value is None or value == "":
        return ""
    epoch = parse_iso(value) if isinstance(value, str) else int(value)
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%Y-%m-%d %H:%M")


def province_hour(epoch: int) -> str:
    """The province's hour of an instant ('2026-11-30T09')."""
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%Y-%m-%dT%H")


def province_month(epoch: int) -> str:
    """The province's calendar month of an instant ('2026-11')."""
    return province_day(epoch)[:7]


def province_midnight(day: date) -> int:
    """The first second of a province day, as epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=PROVINCE_TZ).timestamp())


def month_bounds(month: str) -> tuple[int, int]:
    """The first and last second of a province month ('2026-11'), as epoch seconds."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return province_midnight(first), province_midnight(following) - 1


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def days_between(first: str, last: str) -> list[str]:
    """Every day label from `first` to `last` inclusive ('2026-11-29')."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
