"""The report routes (`/v1/reports/...`, R-PROP-11, R-PROP-12) on top of the fake hub's
authentication, answering fixed figures in the contract's shapes, for the CLI tests of
`lgsp report ...` signed as an app or sent as a person.

A unit's reports are seen by the unit's own callers and by operators (else 403
`forbidden`); the province and the ranking by operators only. The period is checked as
the hub does (400 `invalid_period`). `{report}/csv` and `{report}/xlsx` answer fixed bytes
with the hub's media types; the XLSX bytes are not a workbook and not UTF-8, so a client
that parsed or decoded them would fail."""

from __future__ import annotations

import calendar
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.client.fakehub import FakeHub
from tests.client.server import Handler, Received, Reply

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT = "000.00.12.H40"
UNIT_NAME = "Sở Nội vụ"
_ROUTE = re.compile(r"^/v1/reports/(?:units/(?P<unit>[^/]+)(?:/(?P<part>history|connections))?"
                    r"|(?P<area>province|ranking))(?:/(?P<fmt>csv|xlsx))?$")
_KINDS = ("day", "month", "quarter", "year", "range")
_DATES = {"day": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-(0[1-9]|1[0-2])",
          "quarter": r"\d{4}-Q[1-4]", "year": r"\d{4}"}

COUNTS = {"sent": 120, "bytes_sent": 5_242_880, "received": 98, "bytes_received": 1536,
          "rejected": 2, "failed_fetches": 1, "expired": 3, "undeliverable": 0}
BY_PRIORITY = {"hoa_toc": {"sent": 4, "received": 1}, "thuong_khan": {"sent": 6, "received": 7},
               "khan": {"sent": 10, "received": 0}, "thuong": {"sent": 100, "received": 90}}
LATENCY = {"confirmed": 95, "median_seconds": 200.0, "p95_seconds": 14700.0}
SERVICES = {"consumer": {"calls": 12, "bytes_sent": 3072, "bytes_received": 1_258_291,
                         "failures": 1},
            "provider": {"calls": 0, "bytes_sent": 0, "bytes_received": 0, "failures": 0}}
DAYS = [{"day": "2026-11-01", "sent": 70, "received": 48, "rejected": 2, "failed_fetches": 1,
         "expired": 0, "undeliverable": 0},
        {"day": "2026-11-02", "sent": 50, "received": 50, "rejected": 0, "failed_fetches": 0,
         "expired": 3, "undeliverable": 0}]
RANKING = [{"unit": "000.00.13.H40", "unit_name": "Sở Tài chính", "sent": 300, "received": 20,
            "rejected": 0, "failed_fetches": 0, "expired": 0, "undeliverable": 1},
           {"unit": UNIT, "unit_name": UNIT_NAME, "sent": 120, "received": 98, "rejected": 2,
            "failed_fetches": 1, "expired": 3, "undeliverable": 0}]
HISTORY = [
    {"at": f"2026-11-0{n + 1}T0{n}:00:00Z", "message_id": f"M{n:04d}", "event": event,
     "direction": direction, "counterparts": counterparts, "priority": priority, "size": size}
    for n, (event, direction, counterparts, priority, size) in enumerate([
        ("sent", "sent", ["000.00.13.H40", "000.00.14.H40"], "hoa_toc", 2048),
        ("received", "received", ["000.00.13.H40"], "thuong", 100),
        ("rejected", "sent", ["000.00.14.H40"], "khan", 5_242_880),
        ("expired", "sent", ["000.00.15.H40"], None, 7),
        ("received", "received", ["000.00.15.H40"], "thuong_khan", 1)])]
SESSIONS = [{"connected_at": "2026-11-01T00:00:00Z", "disconnected_at": "2026-11-01T08:00:00Z",
             "seconds": 28800, "app": "app-vanban"},
            {"connected_at": "2026-11-02T00:00:00Z", "disconnected_at": None, "seconds": 97200,
             "app": "app-motcua"}]


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> Reply:
    return _json(status, {"error": {"code": code, "message": message}})


def export_bytes(path: str, fmt: str) -> bytes:
    """What the fake hub exports for `path` (the report's path, without /csv or /xlsx)."""
    if fmt == "csv":
        return ("\ufeffNgày,Đã gửi,Đã nhận\r\n2026-11-01,70,48\r\n"
                f"# {path}\r\n").encode()
    return b"PK\x03\x04 not a workbook \xff\xfe\x00" + path.encode() + bytes(range(256))


def period_of(query: dict[str, str]) -> dict[str, str] | str:
    """The hub's `period` object, or the message of its 400 `invalid_period`."""
    kind = query.get("period") or ("range" if "from" in query or "to" in query else "month")
    if kind not in _KINDS:
        return f"period must be one of {', '.join(_KINDS)}."
    if kind == "range":
        first, last = query.get("from", ""), query.get("to", "")
        if not (re.fullmatch(_DATES["day"], first) and re.fullmatch(_DATES["day"], last)):
            return "A range needs from and to (YYYY-MM-DD)."
        return {"kind": kind, "label": f"{first}..{last}", "from": first, "to": last}
    when = query.get("date", "")
    if not re.fullmatch(_DATES[kind], when):
        return f"period={kind} needs date ({_DATES[kind]})." if not when else \
            f"A {kind} is not '{when}'."
    first = last = when
    if kind == "month":
        year, month = (int(x) for x in when.split("-"))
        first, last = f"{when}-01", f"{when}-{calendar.monthrange(year, month)[1]:02d}"
    elif kind in ("quarter", "year"):
        q = int(when[-1]) if kind == "quarter" else 0
        start, end = (3 * q - 2, 3 * q) if q else (1, 12)
        year = int(when[:4])
        first = f"{year}-{start:02d}-01"
        last = f"{year}-{end:02d}-{calendar.monthrange(year, end)[1]:02d}"
    return {"kind": kind, "label": when, "from": first, "to": last}


@dataclass
class ReportsHub:
    """The report routes; anything else goes to `fallback` (else the fake)."""

    fake: FakeHub
    operators: set[str] = field(default_factory=set)  # their callers see every report
    fallback: Handler | None = None
    page_size: int = 50
    history: list[dict[str, Any]] = field(default_factory=lambda: list(HISTORY))
    calls: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    refuse: list[tuple[int, str, str]] = field(default_factory=list)  # next answers
    sent: list[bytes] = field(default_factory=list)  # every export's bytes
    answers: list[dict[str, Any]] = field(default_factory=list)  # every JSON report
    export_type: str | None = None  # answer exports with this media type instead

    def __call__(self, r: Received) -> Reply:
        path, _, raw = r.path.partition("?")
        route = _ROUTE.match(path)
        if route is None:
            return (self.fallback or self.fake)(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        query = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        self.calls.append((path, query, r.headers.get("Accept", "")))
        if self.refuse:
            return _error(*self.refuse.pop(0))
        unit = route["unit"]
        if unit is None and caller not in self.operators:
            return _error(403, "forbidden", "Only the province's operators see this report.")
        if unit is not None and unit != caller and caller not in self.operators:
            return _error(403, "forbidden", f"{caller} cannot see the figures of {unit}.")
        period = period_of(query)
        if isinstance(period, str):
            return _error(400, "invalid_period", period)
        if route["fmt"]:
            data = export_bytes(path.rsplit("/", 1)[0], route["fmt"])
            self.sent.append(data)
            name = f"bao-cao.{route['fmt']}"
            return Reply(200, data, {
                "Content-Type": self.export_type or (CSV_TYPE if route["fmt"] == "csv"
                                                     else XLSX_TYPE),
                "Content-Disposition": f'attachment; filename="{name}"'})
        self.answers.append(self._answer(route, period, query))
        return _json(200, self.answers[-1])

    def _answer(self, route: re.Match[str], period: dict[str, str],
                query: dict[str, str]) -> dict[str, Any]:
        unit = route["unit"]
        if route["area"] == "ranking":
            items = RANKING[:int(query["limit"])] if "limit" in query else RANKING
            return {"period": period, "by": query.get("by", "sent"), "items": items}
        if route["part"] == "connections":
            return {"unit": unit, "period": period, "online_seconds": 126000,
                    "availability": 0.8751, "sessions": SESSIONS, "connects": 2}
        if route["part"] == "history":
            return self._history(unit, period, query)
        days = DAYS if period["kind"] not in ("quarter", "year") else [
            {**{k: v for k, v in d.items() if k != "day"}, "month": d["day"][:7]}
            for d in DAYS[:1]]
        figures: dict[str, Any] = {"period": period, "totals": COUNTS,
                                   "by_priority": BY_PRIORITY, "latency": LATENCY,
                                   "services": SERVICES, "days": days}
        if unit is None:
            return {**figures, "units": 42}
        return {"unit": unit, "unit_name": UNIT_NAME, **figures}

    def _history(self, unit: str, period: dict[str, str],
                 query: dict[str, str]) -> dict[str, Any]:
        items = [i for i in self.history
                 if all(query.get(k) in (None, i[k]) for k in ("direction", "event",
                                                              "priority"))
                 and query.get("counterpart") in (None, *i["counterparts"])]
        start = int(query.get("cursor", "0"))
        size = min(int(query.get("limit", "50")), self.page_size)
        more = start + size < len(items)
        return {"unit": unit, "period": period, "items": items[start:start + size],
                "next_cursor": str(start + size) if more else None}
