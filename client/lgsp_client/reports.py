"""The hub's reports (R-PROP-11, R-PROP-12): a unit's or the province's figures for a
period, the ranking of units, a unit's history of exchanges and its connections.

A report is a path and a query (`Report`); `get` reads its JSON, `every_page` follows a
history's `next_cursor` to the end, and `export` reads the same table as the hub's CSV or
XLSX bytes, unparsed, to be saved as they are:

    from lgsp_client import reports
    november = reports.Period("month", "2026-11")
    figures = reports.get(client, reports.unit("000.00.12.H40", november))
    sheet = reports.export(client, reports.province(november), "xlsx")
    Path("province-2026-11.xlsx").write_bytes(sheet.data)

Calls go through the client like every other, so they are signed as the app or, for a
client made with `person=`, carry the signed-in person's token.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lgsp_client.errors import LgspApiError

if TYPE_CHECKING:
    from lgsp_client.api import LgspClient

JSON = dict[str, Any]
KINDS = ("day", "month", "quarter", "year", "range")
EXPORTS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Viet Nam keeps UTC+7 all year (no daylight saving): the province's calendar.
PROVINCE_TIME = datetime.timezone(datetime.timedelta(hours=7), "Asia/Ho_Chi_Minh")
ALL_PAGE = 200  # the hub's largest page


@dataclass(frozen=True)
class Period:
    """`Period("month", "2026-11")`, `("day", "2026-11-29")`, `("quarter", "2026-Q4")`,
    `("year", "2026")` or `Period("range", first="2026-11-01", last="2026-11-15")`. The
    hub checks the values (400 `invalid_period` saying what is wrong)."""

    kind: str = "month"
    date: str | None = None
    first: str | None = None
    last: str | None = None

    @classmethod
    def current(cls, kind: str, now: datetime.datetime | None = None) -> Period:
        """The day, month, quarter or year that holds `now` (default: this moment) in
        the province's calendar."""
        today = (now or datetime.datetime.now(PROVINCE_TIME)).astimezone(PROVINCE_TIME)
        text = {"day": today.date().isoformat(), "month": f"{today:%Y-%m}",
                "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                "year": str(today.year)}
        if kind not in text:
            raise ValueError(f"no current {kind!r}: use day, month, quarter or year")
        return cls(kind, text[kind])

    def query(self) -> list[tuple[str, str]]:
        pairs = [("period", self.kind)]
        for name, value in (("date", self.date), ("from", self.first), ("to", self.last)):
            if value is not None:
                pairs.append((name, value))
        return pairs


@dataclass(frozen=True)
class Report:
    """Which report: its path under the hub and its query (period and filters)."""

    path: str
    query: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Export:
    """A report as the hub exported it: the bytes, their media type, the file name the
    hub suggests (`Content-Disposition`, else None)."""

    data: bytes
    content_type: str
    file_name: str | None


def _unit_path(code: str) -> str:
    return f"/v1/reports/units/{urllib.parse.quote(code, safe='')}"


def _report(path: str, period: Period, extra: Iterable[tuple[str, str | int | None]] = ()
            ) -> Report:
    given = [(name, str(value)) for name, value in extra if value is not None]
    return Report(path, (*period.query(), *given))


def unit(code: str, period: Period) -> Report:
    """A unit's totals, by priority, delivery latency and per day (per month for a
    quarter or year): seen by the unit's own apps and people and by operators."""
    return _report(_unit_path(code), period)


def province(period: Period) -> Report:
    """The same for the whole province, with the number of units (operators)."""
    return _report("/v1/reports/province", period)


def ranking(period: Period, *, by: str | None = None, limit: int | None = None) -> Report:
    """Units by `sent`, `received` or `failures` (the hub's default: sent), most first
    (operators)."""
    return _report("/v1/reports/ranking", period, (("by", by), ("limit", limit)))


def history(code: str, period: Period, *, direction: str | None = None,
            counterpart: str | None = None, event: str | None = None,
            priority: str | None = None) -> Report:
    """A unit's exchanges in time order: `direction` sent|received, `counterpart` a unit
    code, `event` sent|received|rejected|expired, `priority` a slug (`hoa_toc`, ...)."""
    return _report(f"{_unit_path(code)}/history", period,
                   (("direction", direction), ("counterpart", counterpart),
                    ("event", event), ("priority", priority)))


def connections(code: str, period: Period) -> Report:
    """A unit's time online, availability and connection sessions."""
    return _report(f"{_unit_path(code)}/connections", period)


def get(client: LgspClient, report: Report, *, cursor: str | None = None,
        limit: int | None = None) -> JSON:
    """The report's JSON; `cursor` and `limit` page a history."""
    paging = [(n, str(v)) for n, v in (("cursor", cursor), ("limit", limit)) if v]
    return dict(client.call("GET", report.path, query=[*report.query, *paging]))


def every_page(client: LgspClient, report: Report, *, cursor: str | None = None,
               page_size: int = ALL_PAGE) -> JSON:
    """A history with every page from `cursor` on, as one answer (`next_cursor` None)."""
    page = get(client, report, cursor=cursor, limit=page_size)
    items = list(page.get("items") or [])
    while page.get("next_cursor"):
        page = get(client, report, cursor=page["next_cursor"], limit=page_size)
        items += page.get("items") or []
    return {**page, "items": items, "next_cursor": None}


def export(client: LgspClient, report: Report, fmt: str) -> Export:
    """The report's table as the hub's `csv` (UTF-8) or `xlsx` bytes, from its
    `{path}/csv|xlsx` route (a history: every page, up to the hub's cap). An answer of
    another media type is refused (`invalid_response`) rather than saved."""
    wanted = EXPORTS[fmt]
    response = client.download(f"{report.path}/{fmt}", wanted, query=report.query)
    content_type = response.headers.get("Content-Type", "")
    if content_type.partition(";")[0].strip().lower() != wanted:
        raise LgspApiError(response.status_code, "invalid_response",
                           f"GET {report.path}/{fmt}: the hub answered "
                           f"{content_type or 'no Content-Type'}, not {wanted}")
    found = re.search(r'filename="([^"/\\]+)"',
                      response.headers.get("Content-Disposition", ""))
    return Export(response.content, content_type, found.group(1) if found else None)
