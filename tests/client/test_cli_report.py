"""`lgsp report unit|province|ranking|history|connections` against an in-test hub
(R-PROP-11, R-PROP-12): each report's request (path and query), its tables, the hub's
JSON, the hub's CSV/XLSX bytes saved as they are (to --output, atomically, or stdout),
refusals shown with the hub's code, usage errors before any call, --all paging, and
--as-person sending the person's token (tests/client/test_reports.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client import reports
from lgsp_client.cli import main
from tests.client import fakereports
from tests.client.fakehub import FakeHub
from tests.client.fakereports import (
    HISTORY,
    UNIT,
    XLSX_TYPE,
    ReportsHub,
    export_bytes,
)
from tests.client.pipe import Pipe
from tests.client.server import Server, serve

OTHER = "000.00.13.H40"
OPERATOR = "000.00.30.H40"
UNIT_PATH = f"/v1/reports/units/{UNIT}"
NOVEMBER = ("--period", "month", "--date", "2026-11")
Q_NOVEMBER = {"period": "month", "date": "2026-11"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[ReportsHub,
                                                                          Server]]:
    """Signed as an app of UNIT; `as_operator` switches to the operators' app."""
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    fake = ReportsHub(FakeHub(keys={"AKUA": "ua-secret", "AKOP": "op-secret"},
                              units={"AKUA": UNIT, "AKOP": OPERATOR}), operators={OPERATOR})
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUA")
        monkeypatch.setenv("LGSP_SECRET_KEY", "ua-secret")
        yield fake, server


def as_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKOP")
    monkeypatch.setenv("LGSP_SECRET_KEY", "op-secret")


@pytest.fixture
def operator_hub(hub: tuple[ReportsHub, Server],
                 monkeypatch: pytest.MonkeyPatch) -> ReportsHub:
    as_operator(monkeypatch)
    return hub[0]


def lgsp(*argv: str, out: io.StringIO | None = None) -> tuple[int, str]:
    stream = out if out is not None else Terminal()
    return main(["report", *argv], out=stream), stream.getvalue()


def test_unit_asks_the_unit_report_and_prints_its_tables(
        hub: tuple[ReportsHub, Server]) -> None:
    fake, server = hub
    code, out = lgsp("unit", UNIT, *NOVEMBER)
    assert code == 0
    assert fake.calls == [(UNIT_PATH, Q_NOVEMBER, "application/json")]
    assert "Signature" in server.received[-1].headers
    lines = out.splitlines()
    assert lines[:3] == [f"unit:    {UNIT}  Sở Nội vụ",
                         "period:  2026-11 (2026-11-01 .. 2026-11-30)",
                         "latency: 95 confirmed, median 3 min 20 s, p95 4 h 05 min"]
    assert lines[4:13] == ["TOTAL             VALUE", "sent                120",
                           "bytes sent      5.0 MiB", "received             98",
                           "bytes received  1.5 KiB", "rejected              2",
                           "failed fetches        1", "expired               3",
                           "undeliverable         0"]
    assert lines[14:19] == ["PRIORITY     SENT  RECEIVED", "Hỏa tốc         4         1",
                            "Thượng khẩn     6         7", "Khẩn           10         0",
                            "Thường        100        90"]
    assert lines[20:23] == [  # calls through the catalogue's proxy (docs/catalogue.md)
        "SERVICES                 CALLS  FAILURES  BYTES_SENT  BYTES_RECEIVED",
        "consumer (its apps)         12         1     3.0 KiB         1.2 MiB",
        "provider (its services)      0         0         0 B             0 B"]
    assert lines[24].split() == ["DAY", "SENT", "RECEIVED", "REJECTED", "FAILED_FETCHES",
                                 "EXPIRED", "UNDELIVERABLE"]
    assert [r.split() for r in lines[25:]] == [["2026-11-01", "70", "48", "2", "1", "0", "0"],
                                               ["2026-11-02", "50", "50", "0", "0", "3", "0"]]


def test_a_report_of_a_hub_without_the_services_block_prints_no_services_table(
        hub: tuple[ReportsHub, Server], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(fakereports.SERVICES, "consumer")
    monkeypatch.delitem(fakereports.SERVICES, "provider")
    code, out = lgsp("unit", UNIT, *NOVEMBER)
    assert code == 0 and "SERVICES" not in out
    assert out.splitlines()[20].split()[0] == "DAY"


def test_province_for_a_quarter_has_a_row_per_month(
        hub: tuple[ReportsHub, Server], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = hub
    as_operator(monkeypatch)
    code, out = lgsp("province", "--period", "quarter", "--date", "2026-Q4")
    assert code == 0
    assert fake.calls[-1][:2] == ("/v1/reports/province",
                                  {"period": "quarter", "date": "2026-Q4"})
    assert out.splitlines()[:2] == ["province: 42 units",
                                    "period:   2026-Q4 (2026-10-01 .. 2026-12-31)"]
    assert out.splitlines()[-2].split()[:2] == ["MONTH", "SENT"]
    assert out.splitlines()[-1].split()[:2] == ["2026-11", "70"]


def test_ranking_passes_by_and_limit_and_numbers_the_units(
        hub: tuple[ReportsHub, Server], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = hub
    as_operator(monkeypatch)
    code, out = lgsp("ranking", "--by", "received", "--limit", "1", "--from", "2026-11-01",
                     "--to", "2026-11-15")
    assert code == 0
    assert fake.calls[-1][:2] == ("/v1/reports/ranking", {
        "period": "range", "from": "2026-11-01", "to": "2026-11-15", "by": "received",
        "limit": "1"})
    lines = out.splitlines()
    assert lines[:2] == ["ranking: by received",
                         "period:  2026-11-01 .. 2026-11-15"]
    assert lines[3].split() == ["#", "UNIT", "NAME", "SENT", "RECEIVED", "REJECTED",
                                "FAILED_FETCHES", "EXPIRED", "UNDELIVERABLE"]
    assert lines[4].split() == ["1", OTHER, "Sở", "Tài", "chính", "300", "20", "0", "0",
                                "0", "1"]
    assert len(lines) == 5


def test_history_sends_its_filters_and_says_when_there_is_more(
        hub: tuple[ReportsHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    code, out = lgsp("history", UNIT, *NOVEMBER, "--direction", "sent", "--counterpart",
                     "000.00.14.H40", "--event", "rejected", "--priority", "Khẩn",
                     "--limit", "10")
    assert code == 0
    assert fake.calls[-1][:2] == (f"{UNIT_PATH}/history", {
        **Q_NOVEMBER, "direction": "sent", "counterpart": "000.00.14.H40",
        "event": "rejected", "priority": "khan", "limit": "10"})
    lines = out.splitlines()
    assert lines[3].split() == ["AT", "EVENT", "DIRECTION", "MESSAGE_ID", "PRIORITY", "SIZE",
                                "COUNTERPARTS"]
    assert lines[4].split() == ["2026-11-03T02:00:00Z", "rejected", "sent", "M0002", "Khẩn",
                                "5.0", "MiB", "000.00.14.H40"]
    assert len(lines) == 5 and capsys.readouterr().err == ""
    fake.page_size = 2
    code, out = lgsp("history", UNIT, *NOVEMBER)
    assert code == 0 and [r.split()[3] for r in out.splitlines()[4:]] == ["M0000", "M0001"]
    assert out.splitlines()[4].split()[-1] == "000.00.13.H40,000.00.14.H40"
    assert "more: add --cursor 2 (or --all)" in capsys.readouterr().err
    code, out = lgsp("history", UNIT, *NOVEMBER, "--cursor", "2")
    assert fake.calls[-1][1] == {**Q_NOVEMBER, "cursor": "2"}
    assert [r.split()[3] for r in out.splitlines()[4:]] == ["M0002", "M0003"]
    fake.history.clear()
    assert lgsp("history", UNIT, *NOVEMBER)[1].splitlines()[-1] == "(no exchanges)"


def test_history_all_follows_every_cursor(hub: tuple[ReportsHub, Server],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    fake.page_size = 2
    code, out = lgsp("history", UNIT, *NOVEMBER, "--all", "--format", "json")
    assert code == 0
    assert [c[1] for c in fake.calls] == [{**Q_NOVEMBER, "limit": "200"},
                                          {**Q_NOVEMBER, "cursor": "2", "limit": "200"},
                                          {**Q_NOVEMBER, "cursor": "4", "limit": "200"}]
    answer = json.loads(out)
    assert answer["items"] == HISTORY and answer["next_cursor"] is None
    assert answer["unit"] == UNIT and answer["period"]["label"] == "2026-11"
    code, out = lgsp("history", UNIT, *NOVEMBER, "--all", "--cursor", "2", "--limit", "50")
    assert [c[1].get("cursor") for c in fake.calls[3:]] == ["2", "4"]
    assert fake.calls[3][1] == {**Q_NOVEMBER, "cursor": "2", "limit": "50"}
    assert [r.split()[3] for r in out.splitlines()[4:]] == ["M0002", "M0003", "M0004"]
    assert capsys.readouterr().err == ""


def test_connections_summary_and_sessions(hub: tuple[ReportsHub, Server]) -> None:
    fake, _ = hub
    code, out = lgsp("connections", UNIT, "--period", "day", "--date", "2026-11-02")
    assert code == 0
    assert fake.calls[-1][:2] == (f"{UNIT_PATH}/connections",
                                  {"period": "day", "date": "2026-11-02"})
    lines = out.splitlines()
    assert lines[:5] == [f"unit:         {UNIT}", "period:       2026-11-02",
                         "online:       1 d 11 h", "availability: 87.51 %",
                         "connects:     2"]
    assert lines[6].split() == ["CONNECTED_AT", "DISCONNECTED_AT", "DURATION", "APP"]
    assert lines[7].split() == ["2026-11-01T00:00:00Z", "2026-11-01T08:00:00Z", "8", "h",
                                "00", "min", "app-vanban"]
    assert lines[8].split() == ["2026-11-02T00:00:00Z", "(still", "connected)", "1", "d",
                                "3", "h", "app-motcua"]


@pytest.mark.parametrize(("argv", "path"), [
    (["unit", UNIT], UNIT_PATH), (["province"], "/v1/reports/province"),
    (["ranking"], "/v1/reports/ranking"), (["history", UNIT], f"{UNIT_PATH}/history"),
    (["connections", UNIT], f"{UNIT_PATH}/connections")])
def test_json_is_the_hubs_answer_and_the_default_into_a_pipe(
        hub: tuple[ReportsHub, Server], monkeypatch: pytest.MonkeyPatch, argv: list[str],
        path: str) -> None:
    fake, _ = hub
    as_operator(monkeypatch)
    code, out = lgsp(*argv, *NOVEMBER, out=io.StringIO())  # not a terminal: JSON
    assert code == 0 and fake.calls[-1][0] == path
    assert json.loads(out) == fake.answers[-1]
    assert lgsp(*argv, *NOVEMBER, "--format", "json") == (0, out)  # asked on a terminal


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("argv", "asked"), [
    (["unit", UNIT], (UNIT_PATH, {})), (["province"], ("/v1/reports/province", {})),
    (["ranking", "--by", "failures"], ("/v1/reports/ranking", {"by": "failures"})),
    (["history", UNIT, "--event", "sent", "--all"], (f"{UNIT_PATH}/history",
                                                     {"event": "sent"})),
    (["connections", UNIT], (f"{UNIT_PATH}/connections", {}))])
def test_exports_write_the_hubs_bytes_to_output(
        operator_hub: ReportsHub, tmp_path: Path, fmt: str, argv: list[str],
        asked: tuple[str, dict[str, str]]) -> None:
    fake, (path, more) = operator_hub, asked
    target = tmp_path / f"report.{fmt}"
    code, out = lgsp(*argv, *NOVEMBER, "--format", fmt, "--output", str(target))
    assert code == 0
    asked_path, query, accept = fake.calls[-1]
    assert asked_path == f"{path}/{fmt}"
    assert accept == ("text/csv" if fmt == "csv" else XLSX_TYPE)
    assert query == {**Q_NOVEMBER, **more}  # one request: an export holds every row
    assert len(fake.calls) == 1
    assert target.read_bytes() == fake.sent[-1] == export_bytes(path, fmt)
    assert out == f"{target} ({len(fake.sent[-1])} bytes, {fmt})\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_output_replaces_a_file_whole_and_its_suffix_sets_the_format(
        hub: tuple[ReportsHub, Server], tmp_path: Path) -> None:
    fake, _ = hub
    target = tmp_path / "thang-11.xlsx"
    target.write_bytes(b"last month's")
    code, _ = lgsp("unit", UNIT, *NOVEMBER, "-o", str(target))
    assert code == 0 and fake.calls[-1][0] == f"{UNIT_PATH}/xlsx"
    assert target.read_bytes() == export_bytes(UNIT_PATH, "xlsx")
    as_json = tmp_path / "thang-11.json"
    assert lgsp("unit", UNIT, *NOVEMBER, "-o", str(as_json))[0] == 0
    assert json.loads(as_json.read_text("utf-8"))["totals"]["sent"] == 120
    table = tmp_path / "thang-11.txt"
    assert lgsp("unit", UNIT, *NOVEMBER, "-o", str(table), "--format", "table")[0] == 0
    assert table.read_text("utf-8").startswith(f"unit:    {UNIT}  Sở Nội vụ\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "thang-11.json", "thang-11.txt", "thang-11.xlsx"]


def test_a_refused_export_leaves_the_file_as_it_was(
        hub: tuple[ReportsHub, Server], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    target = tmp_path / "other.csv"
    target.write_bytes(b"kept")
    code, out = lgsp("unit", OTHER, *NOVEMBER, "-o", str(target))
    assert code == 1 and out == "" and fake.calls[-1][0] == f"/v1/reports/units/{OTHER}/csv"
    assert capsys.readouterr().err == \
        f"error: forbidden: {UNIT} cannot see the figures of {OTHER}.\n"
    assert target.read_bytes() == b"kept" and [p.name for p in tmp_path.iterdir()] == \
        ["other.csv"]


def test_an_export_of_another_media_type_is_not_saved(
        hub: tuple[ReportsHub, Server], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    fake.export_type = "application/json"
    target = tmp_path / "r.xlsx"
    assert lgsp("unit", UNIT, *NOVEMBER, "-o", str(target))[0] == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []
    err = capsys.readouterr().err
    assert err.startswith("error: invalid_response: ") and XLSX_TYPE in err


def test_a_write_that_fails_leaves_the_file_as_it_was(
        hub: tuple[ReportsHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.csv"
    target.write_bytes(b"kept")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lgsp_client.cli_report.os.fsync", disk_full)
    assert lgsp("unit", UNIT, *NOVEMBER, "-o", str(target)) == (1, "")
    assert capsys.readouterr().err.startswith("error: io: No space left on device")
    assert target.read_bytes() == b"kept" and [p.name for p in tmp_path.iterdir()] == \
        ["r.csv"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_go_to_stdout_as_bytes_when_it_is_not_a_terminal(
        hub: tuple[ReportsHub, Server], fmt: str) -> None:
    fake, _ = hub
    pipe = Pipe()
    assert main(["report", "connections", UNIT, *NOVEMBER, "--format", fmt], out=pipe) == 0
    assert pipe.written() == fake.sent[-1] == export_bytes(f"{UNIT_PATH}/connections", fmt)


def test_csv_goes_to_a_terminal_too(hub: tuple[ReportsHub, Server],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    code, out = lgsp("unit", UNIT, *NOVEMBER, "--format", "csv")
    assert code == 0 and out.encode() == fake.sent[-1]
    # A stream that takes text only (no binary side) cannot carry an XLSX.
    assert lgsp("unit", UNIT, *NOVEMBER, "--format", "xlsx", out=io.StringIO()) == (1, "")
    assert capsys.readouterr().err.startswith("error: binary_output: ")


@pytest.mark.parametrize(("argv", "message"), [
    (["unit", UNIT, "--format", "xlsx"], "xlsx is a binary file: give --output FILE"),
    (["unit", UNIT, "--period", "month", "--from", "2026-11-01", "--to", "2026-11-02"],
     "--from and --to make a range"),
    (["unit", UNIT, "--from", "2026-11-01", "--to", "2026-11-02", "--date", "2026-11"],
     "a range takes --from and --to, not --date"),
    (["province", "--period", "range", "--from", "2026-11-01"],
     "a range needs both --from and --to"),
    (["history", UNIT, "--format", "csv", "--limit", "5"], "--cursor and --limit page"),
    (["history", UNIT, "-o", "h.xlsx", "--cursor", "5"], "--cursor and --limit page")])
def test_usage_errors_exit_2_before_any_call(
        hub: tuple[ReportsHub, Server], capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    _, server = hub
    assert lgsp(*argv) == (2, "")
    err = capsys.readouterr().err
    assert err.startswith(f"error: usage: {message}") and err.count("\n") == 1
    assert server.received == []


@pytest.mark.parametrize("argv", [["unit"], ["ranking", "--by", "size"],
                                  ["history", UNIT, "--priority", "urgent"],
                                  ["history", UNIT, "--limit", "201"],
                                  ["unit", UNIT, "--period", "week"],
                                  ["unit", UNIT, "--format", "pdf"]])
def test_argument_errors_exit_2(hub: tuple[ReportsHub, Server], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        lgsp(*argv)
    assert exit_.value.code == 2 and hub[1].received == []


def test_the_hubs_refusals_show_its_code_and_message(
        hub: tuple[ReportsHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    assert lgsp("province", *NOVEMBER) == (1, "")
    assert capsys.readouterr().err == \
        "error: forbidden: Only the province's operators see this report.\n"
    assert lgsp("history", OTHER, *NOVEMBER, "--all") == (1, "")
    assert "error: forbidden: " in capsys.readouterr().err
    assert lgsp("unit", UNIT, "--date", "2026-13") == (1, "")
    assert fake.calls[-1][1] == {"period": "month", "date": "2026-13"}
    assert capsys.readouterr().err == "error: invalid_period: A month is not '2026-13'.\n"
    assert lgsp("ranking", "--period", "year", "--date", "26", "--format", "xlsx",
                "-o", "never.xlsx") == (1, "")
    assert capsys.readouterr().err.startswith("error: forbidden: ")


def test_without_a_date_the_current_period_in_the_province(
        hub: tuple[ReportsHub, Server]) -> None:
    fake, _ = hub
    before = reports.Period.current("month").date
    assert lgsp("unit", UNIT)[0] == 0
    assert fake.calls[-1][1]["period"] == "month"
    assert fake.calls[-1][1]["date"] in {before, reports.Period.current("month").date}
    assert lgsp("unit", UNIT, "--period", "year")[0] == 0
    assert fake.calls[-1][1]["date"] in {before[:4], reports.Period.current("year").date}
