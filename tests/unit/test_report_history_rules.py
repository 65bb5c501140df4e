"""The history and connection reports' rules, without a table (R-PROP-11, R-PROP-12):
which partitions a period reads, the cursor, the filters, and sessions into online time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain import periods
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.history_report import (
    HistoryFilter,
    Position,
    decode_cursor,
    encode_cursor,
    listing,
    segments,
)
from chalicelib.domain.online_time import Ledger

UNIT, OTHER = "000.00.01.H99", "000.00.02.H99"


def test_a_period_over_a_month_boundary_reads_each_month_and_its_old_utc_lines() -> None:
    found = segments(periods.parse("range", None, "2026-11-30", "2026-12-01"))
    assert [(s.month, s.partition) for s in found] == [
        ("2026-11", "2026-10"), ("2026-11", "2026-11"),
        ("2026-12", "2026-11"), ("2026-12", "2026-12")]
    nov_30 = int(datetime(2026, 11, 29, 17, 0, tzinfo=UTC).timestamp())  # 00:00 there
    dec_1 = nov_30 + 86400
    assert (found[0].start, found[0].end) == (nov_30, dec_1 - 1)
    assert (found[2].start, found[3].end) == (dec_1, dec_1 + 86400 - 1)
    assert found[2].sort_range == (f"{dec_1:012d}", f"{dec_1 + 86399:012d}~")
    january = segments(periods.parse("month", "2027-01"))
    assert [(s.month, s.partition) for s in january] == [("2027-01", "2026-12"),
                                                         ("2027-01", "2027-01")]


def test_a_cursor_serves_its_own_listing_only() -> None:
    quarter = periods.parse("quarter", "2026-Q4")
    found = segments(quarter)
    name = listing(UNIT, quarter, HistoryFilter())
    cursor = encode_cursor(name, found, Position(3, "table-cursor", 7))
    assert decode_cursor(name, found, cursor) == Position(3, "table-cursor", 7)
    assert decode_cursor(name, found, None) == Position()
    others = [listing(OTHER, quarter, HistoryFilter()),
              listing(UNIT, periods.parse("month", "2026-11"), HistoryFilter()),
              listing(UNIT, quarter, HistoryFilter(direction="sent"))]
    for other in others:
        with pytest.raises(InvalidRequestError) as refused:
            decode_cursor(other, found, cursor)
        assert refused.value.code == "invalid_cursor"
    november = segments(periods.parse("month", "2026-11"))
    with pytest.raises(InvalidRequestError):  # segment 3 is December's: not in November
        decode_cursor(name, november, encode_cursor(name, found, Position(4)))
    for garbage in ("", "%%%", "bnVsbA", "WyJ0IiwieCJd"):  # "", null, ["t","x"]
        with pytest.raises(InvalidRequestError):
            decode_cursor(name, found, garbage)


def test_filters_are_checked_and_a_line_without_priority_never_matches_one() -> None:
    wanted = HistoryFilter.parse(direction="received", counterpart=OTHER, event=None,
                                 priority="khan")
    line: dict[str, Any] = {"event": "expired", "peer": [OTHER], "priority": "khan"}
    assert wanted.matches(line)
    assert not wanted.matches({**line, "priority": None})
    assert not wanted.matches({k: v for k, v in line.items() if k != "priority"})
    assert not wanted.matches({**line, "event": "sent"})  # sent is the other direction
    assert not wanted.matches({**line, "peer": [UNIT]})
    assert HistoryFilter().matches({"event": "sent", "peer": []})
    for bad, code in (({"direction": "in"}, "invalid_request"),
                      ({"event": "fetched"}, "invalid_request"),
                      ({"priority": "Hỏa tốc"}, "invalid_request"),
                      ({"counterpart": "H99"}, "invalid_unit_code")):
        args: dict[str, str | None] = {"direction": None, "counterpart": None, "event": None,
                                       "priority": None, **bad}
        with pytest.raises(InvalidRequestError) as refused:
            HistoryFilter.parse(**args)
        assert refused.value.code == code


def line(at: int, event: str, cid: str | None = None, app: str = "app") -> dict[str, Any]:
    return {"at": at, "event": event, "connection_id": cid, "app": app}


def test_online_time_is_the_union_of_the_sessions_clipped_to_the_period() -> None:
    ledger = Ledger(start=1000, stop=2000)
    ledger.window([line(1100, "connected", "a"), line(1200, "connected", "b"),
                   line(1300, "disconnected", "a"), line(1400, "disconnected", "b"),
                   line(1500, "disconnected", "c")])  # c: connected before the period
    ledger.earlier([line(990, "disconnected", "z"), line(950, "connected", "c"),
                    line(900, "connected", "z"), line(800, "offline")])
    assert not ledger.wants_earlier and not ledger.wants_later(set())
    assert [(s.connection_id, s.connected_at) for s in ledger.listed()] == [
        ("c", 950), ("a", 1100), ("b", 1200)]
    assert [ledger.seconds(s, set()) for s in ledger.listed()] == [500, 200, 200]
    assert ledger.online_seconds(set()) == 500  # c covers a and b
    assert ledger.connects == 2


def test_the_lines_before_the_period_are_read_until_the_last_offline_and_every_start() -> None:
    ledger = Ledger(start=1000, stop=2000)
    ledger.window([line(1500, "disconnected", "old")])
    assert ledger.wants_earlier
    ledger.earlier([line(900, "offline")])
    assert ledger.wants_earlier  # "old" started before the offline line (a race)
    ledger.earlier([line(800, "connected", "old"), line(700, "connected", "gone")])
    assert not ledger.wants_earlier
    assert [(s.connection_id, s.connected_at) for s in ledger.listed()] == [("old", 800)]


def test_a_session_without_its_line_ends_at_the_units_next_offline_else_is_open() -> None:
    ledger = Ledger(start=1000, stop=2000)
    ledger.window([line(1100, "connected", "vanished"), line(1200, "connected", "live")])
    assert ledger.wants_later({"live"})
    ledger.later([line(2500, "offline")])
    assert not ledger.wants_later({"live"})
    vanished, live = ledger.listed()
    assert ledger.end(vanished, {"live"}) == 2500 and ledger.end(live, {"live"}) is None
    assert ledger.seconds(vanished, {"live"}) == 900 and ledger.seconds(live, {"live"}) == 800
    assert Ledger(start=1000, stop=2000).online_seconds(set()) == 0
