"""A unit's exchange history and its connections over a period (R-PROP-11, R-PROP-12;
docs/reports.md): as JSON pages and as the tables the CSV and XLSX exports render.

Seen by the unit's own apps and people, and by operators; another unit is 403
`forbidden`. Metadata only: when, which message, what happened, with whom, its
priority and size; never content nor titles.

The history is read month by month (`domain/history_report.segments`), filters applied
while reading: one page reads at most `PAGE_BUDGET` lines, so a page may hold fewer than
`limit` items (even none) while `next_cursor` goes on; only a null cursor ends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain import keys
from chalicelib.domain.errors import ForbiddenError, InvalidRequestError
from chalicelib.domain.history_report import (
    HistoryFilter,
    decode_cursor,
    direction_of,
    encode_cursor,
    listing,
    segments,
)
from chalicelib.domain.online_time import Ledger
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item
from chalicelib.domain.report_history_schemas import (
    ConnectionsReport,
    HistoryItem,
    HistoryReport,
    ReportPeriod,
    SessionView,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.tables import Column, Table
from chalicelib.domain.times import PROVINCE_TZ, iso
from chalicelib.services import units
from chalicelib.services.connections import unit_connections
from chalicelib.services.deps import Deps
from chalicelib.services.paged_reading import read_spans
from chalicelib.services.roles import is_operator

EXPORT_MAX_ROWS = 50_000  # an export of more is refused: ask for a shorter period
PRESENCE_PAGE = 500


@dataclass(frozen=True)
class Budget:
    """How much one answer may read: lines examined and table queries."""

    lines: int
    queries: int


PAGE_BUDGET = Budget(lines=2_000, queries=40)
EXPORT_BUDGET = Budget(lines=10**9, queries=10**9)


def authorise(deps: Deps, caller: Caller, code: str) -> None:
    """The unit's own apps and people, and operators; then the unit must exist."""
    if caller.unit != code and not is_operator(deps, caller):
        raise ForbiddenError("A unit's reports are for the unit itself and the operators.",
                             code="forbidden")
    units.require_unit(deps, code)


# -- exchange history ------------------------------------------------------------------


def history(deps: Deps, caller: Caller, code: str, period: Period, wanted: HistoryFilter, *,
            limit: int, cursor: str | None) -> HistoryReport:
    """One page of the unit's history lines of the period, oldest first."""
    authorise(deps, caller, code)
    lines, next_cursor = _read(deps, code, period, wanted, limit=limit, cursor=cursor,
                               budget=PAGE_BUDGET)
    return HistoryReport(unit=code, period=ReportPeriod.of(period),
                         items=[_item(line) for line in lines], next_cursor=next_cursor)


def _read(deps: Deps, code: str, period: Period, wanted: HistoryFilter, *, limit: int,
          cursor: str | None, budget: Budget) -> tuple[list[Item], str | None]:
    """Up to `limit` lines the filter keeps, from the cursor on, within the budget; and
    the cursor of what follows (None once the period is read)."""
    found, name = segments(period), listing(code, period, wanted)
    kept, at = read_spans(deps, found, lambda span: keys.history_partition(code, span.partition),
                          wanted=wanted, at=decode_cursor(name, found, cursor), limit=limit,
                          max_lines=budget.lines, max_queries=budget.queries, descending=False)
    return kept, encode_cursor(name, found, at) if at is not None else None


def _item(line: Item) -> HistoryItem:
    event = str(line["event"])
    return HistoryItem(at=iso(int(line["at"])), message_id=str(line["message"]), event=event,
                       direction=direction_of(event), counterparts=list(line.get("peer") or []),
                       priority=line.get("priority"), size=int(line.get("size") or 0))


HISTORY_COLUMNS = (
    Column("at", "Thời điểm", "datetime"), Column("message_id", "Mã gói tin"),
    Column("event", "Sự kiện"), Column("direction", "Chiều"),
    Column("counterparts", "Đơn vị liên quan"), Column("priority", "Độ khẩn"),
    Column("size", "Dung lượng (byte)", "int"))


def history_table(deps: Deps, caller: Caller, code: str, period: Period,
                  wanted: HistoryFilter) -> Table:
    """Every line of the period the filter keeps, for the exports: at most
    `EXPORT_MAX_ROWS`, else 400 `export_too_large` (a shorter period, or the JSON pages)."""
    authorise(deps, caller, code)
    lines, _ = _read(deps, code, period, wanted, limit=EXPORT_MAX_ROWS + 1, cursor=None,
                     budget=EXPORT_BUDGET)
    if len(lines) > EXPORT_MAX_ROWS:
        raise InvalidRequestError(
            f"This history has more than {EXPORT_MAX_ROWS:,} lines, more than one export "
            "holds: export a shorter period, or read it page by page as JSON.",
            code="export_too_large", limit=EXPORT_MAX_ROWS)
    rows: list[dict[str, Any]] = []
    for line in lines:
        item = _item(line)
        rows.append({**item.model_dump(), "at": _local(int(line["at"])),
                     "counterparts": ", ".join(item.counterparts)})
    return Table(f"lich-su-{code}-{period.label}", HISTORY_COLUMNS, rows)


def _local(epoch: int) -> datetime:
    """An instant in the province's time: what a spreadsheet shows (it has no zones)."""
    return datetime.fromtimestamp(epoch, PROVINCE_TZ)


# -- connections -----------------------------------------------------------------------


def connections(deps: Deps, caller: Caller, code: str, period: Period) -> ConnectionsReport:
    """The unit's WebSocket sessions in the period (so far) and its online time."""
    authorise(deps, caller, code)
    now = deps.clock.now()
    last = min(period.end, now)  # the last second of the period that has begun
    ledger = Ledger(period.start, min(period.end + 1, now))
    if last < period.start:
        return ConnectionsReport(unit=code, period=ReportPeriod.of(period), online_seconds=0,
                                 availability=None, sessions=[], connects=0)
    pk = keys.presence_history_partition(code)
    for lines in _pages(deps, pk, start=f"{period.start:012d}", end=f"{last:012d}~"):
        ledger.window(lines)
    earlier = _pages(deps, pk, end=f"{period.start:012d}", descending=True)
    while ledger.wants_earlier and (before := next(earlier, None)) is not None:
        ledger.earlier(before)
    live = {str(c["connection_id"]) for c in unit_connections(deps, code)}
    later = _pages(deps, pk, start=f"{last + 1:012d}")
    while ledger.wants_later(live) and (after := next(later, None)) is not None:
        ledger.later(after)
    online = ledger.online_seconds(live)
    sessions = []
    for session in ledger.listed():
        end = ledger.end(session, live)
        sessions.append(SessionView(
            connected_at=None if session.connected_at is None else iso(session.connected_at),
            disconnected_at=None if end is None else iso(end),
            seconds=ledger.seconds(session, live), app=session.app))
    return ConnectionsReport(unit=code, period=ReportPeriod.of(period), online_seconds=online,
                             availability=round(online / (ledger.stop - ledger.start), 6)
                             if ledger.stop > ledger.start else None,
                             sessions=sessions, connects=ledger.connects)


def _pages(deps: Deps, pk: str, *, start: str | None = None, end: str | None = None,
           descending: bool = False) -> Iterator[list[Item]]:
    """The lines of a range of a partition, a page at a time, read as they are asked for."""
    cursor: str | None = None
    while True:
        page = deps.table.query(pk, start=start, end=end, limit=PRESENCE_PAGE, cursor=cursor,
                                descending=descending)
        yield page.items
        cursor = page.cursor
        if cursor is None:
            return


CONNECTION_COLUMNS = (
    Column("app", "Ứng dụng"), Column("connected_at", "Kết nối lúc", "datetime"),
    Column("disconnected_at", "Ngắt kết nối lúc", "datetime"),
    Column("seconds", "Số giây trong kỳ", "int"),
    Column("availability", "Tỷ lệ sẵn sàng", "percent"),
    Column("connects", "Số lần kết nối", "int"))
TOTAL_ROW = "Tổng (thời gian trực tuyến của đơn vị)"


def connections_table(deps: Deps, caller: Caller, code: str, period: Period) -> Table:
    """One row per session, then the unit's total: its online time (the union of the
    sessions, not their sum), availability and number of connections."""
    report = connections(deps, caller, code, period)
    rows: list[dict[str, Any]] = [
        {"app": s.app, "connected_at": _parsed(s.connected_at),
         "disconnected_at": _parsed(s.disconnected_at), "seconds": s.seconds}
        for s in report.sessions]
    rows.append({"app": TOTAL_ROW, "seconds": report.online_seconds,
                 "availability": report.availability, "connects": report.connects})
    return Table(f"ket-noi-{code}-{period.label}", CONNECTION_COLUMNS, rows)


def _parsed(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(PROVINCE_TZ)
