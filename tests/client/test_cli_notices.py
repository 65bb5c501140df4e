"""`lgsp notices` and `lgsp admin notices publish|list|cancel` against an in-test hub
(R-OPS-4): what each sends (times in the province's time or ISO-8601 with an offset), what
it prints, `--json`, refusals with the hub's code, and usage errors before any call; and
`lgsp watch` printing a pushed `notice` readably."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.cli import main
from lgsp_client.cli_notices import parse_time
from lgsp_client.render import event_line, summary_lines
from lgsp_client.watch import Watcher
from tests.client.fakehub import FakeHub
from tests.client.fakenotices import NoticesHub
from tests.client.server import Server, serve

UNIT, OPERATOR = "000.00.12.H40", "000.00.30.H40"
ICT = datetime.timezone(datetime.timedelta(hours=7))
NOTICE = {"id": "0" * 31 + "1", "title": "Bảo trì trục LGSP", "body": "Dòng một.\nDòng hai.",
          "severity": "maintenance", "services": ["exchange", "realtime"],
          "starts_at": "2026-12-01T15:00:00Z", "ends_at": "2026-12-01T16:30:00Z",
          "state": "upcoming", "created_by": "lan@stttt", "created_by_unit": OPERATOR,
          "created_at": "2026-12-01T10:00:00Z", "cancelled_at": None, "cancelled_by": None}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[NoticesHub,
                                                                          Server]]:
    """Signed as an app of UNIT; `as_operator` switches to the operators' app."""
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    fake = NoticesHub(FakeHub(keys={"AKUA": "ua-secret", "AKOP": "op-secret"},
                              units={"AKUA": UNIT, "AKOP": OPERATOR}), operators={OPERATOR})
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUA")
        monkeypatch.setenv("LGSP_SECRET_KEY", "ua-secret")
        yield fake, server


@pytest.fixture
def operator(hub: tuple[NoticesHub, Server], monkeypatch: pytest.MonkeyPatch) -> NoticesHub:
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKOP")
    monkeypatch.setenv("LGSP_SECRET_KEY", "op-secret")
    return hub[0]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01 22:00", datetime.datetime(2026, 12, 1, 22, 0, tzinfo=ICT)),
    ("2026-12-01 22:00:30", datetime.datetime(2026, 12, 1, 22, 0, 30, tzinfo=ICT)),
    ("2026-12-01T22:00", datetime.datetime(2026, 12, 1, 22, 0, tzinfo=ICT)),
    ("2026-12-01T15:00:00Z", datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)),
    ("2026-12-01T10:00:00-05:00", datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)),
])
def test_times_are_the_provinces_unless_they_say_their_offset(
        text: str, expected: datetime.datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.utcoffset() is not None


@pytest.mark.parametrize("text", ["2026-12-01", "tomorrow 22:00", "2026-13-01 22:00", ""])
def test_other_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_publish_sends_the_notice_and_prints_it(operator: NoticesHub) -> None:
    code, out = run("admin", "notices", "publish", "--title", "Bảo trì trục LGSP",
                    "--body", "Nâng cấp máy chủ.", "--from", "2026-12-01 22:00",
                    "--until", "2026-12-01 23:30", "--service", "exchange",
                    "--service", "realtime", "--severity", "outage")
    assert code == 0
    assert operator.bodies == [{"title": "Bảo trì trục LGSP", "body": "Nâng cấp máy chủ.",
                                "severity": "outage", "ends_at": "2026-12-01T23:30:00+07:00",
                                "starts_at": "2026-12-01T22:00:00+07:00",
                                "services": ["exchange", "realtime"]}]
    lines = out.splitlines()
    assert lines[0] == f"{operator.notices[0]['id']} upcoming"
    assert lines[1] == ("outage  upcoming  2026-12-01 22:00–23:30 (+07)  "
                        "[exchange, realtime]  Bảo trì trục LGSP")
    assert lines[2] == "    Nâng cấp máy chủ."


def test_publish_defaults_and_a_body_from_a_file(operator: NoticesHub, tmp_path: Path) -> None:
    text = tmp_path / "body.txt"
    text.write_text("Dòng một.\nDòng hai.\n", encoding="utf-8")
    code, out = run("admin", "notices", "publish", "--title", "T", "--body-file", str(text),
                    "--until", "2026-12-02T01:00:00Z", "--json")
    assert code == 0
    assert operator.bodies == [{"title": "T", "body": "Dòng một.\nDòng hai.\n",
                                "severity": "maintenance",
                                "ends_at": "2026-12-02T01:00:00+00:00"}]
    assert json.loads(out)["id"] == operator.notices[0]["id"]


@pytest.mark.parametrize("argv", [
    ["--title", "T", "--body", "B"],  # no --until
    ["--title", "T", "--until", "2026-12-01 23:00"],  # no body
    ["--title", "T", "--body", "B", "--until", "2026-12-01"],  # a date is not a time
    ["--title", "T", "--body", "B", "--until", "2026-12-01 23:00", "--severity", "critical"],
    ["--title", "T", "--body", "B", "--until", "2026-12-01 23:00", "--service", "mail"],
])
def test_usage_errors_call_nothing(operator: NoticesHub, argv: list[str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["admin", "notices", "publish", *argv])
    assert done.value.code == 2 and operator.bodies == []


def test_anyone_lists_the_current_notices(hub: tuple[NoticesHub, Server]) -> None:
    fake = hub[0]
    assert run("notices") == (0, "(no maintenance notices)\n")
    fake.notices.append(dict(NOTICE))
    code, out = run("notices")
    assert code == 0 and out.splitlines() == [
        "maintenance  upcoming  2026-12-01 22:00–23:30 (+07)  [exchange, realtime]  "
        "Bảo trì trục LGSP", f"    id: {NOTICE['id']}", "    Dòng một.", "    Dòng hai."]
    assert json.loads(run("notices", "--json")[1])["items"] == [NOTICE]


def test_an_app_that_is_not_an_operator_is_refused_with_the_hubs_code(
        hub: tuple[NoticesHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("admin", "notices", "list")
    assert code == 1 and "error: forbidden" in capsys.readouterr().err


def test_operators_list_and_cancel(operator: NoticesHub,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    operator.notices.append(dict(NOTICE))
    code, out = run("admin", "notices", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "SEVERITY", "STATE", "WINDOW", "SERVICES", "BY", "TITLE"]
    assert row.split()[:4] == [NOTICE["id"], "maintenance", "upcoming", "2026-12-01"]
    code, out = run("admin", "notices", "cancel", str(NOTICE["id"]))
    assert code == 0 and out.splitlines()[0] == f"{NOTICE['id']} cancelled"
    code, _ = run("admin", "notices", "cancel", "ffff")
    assert code == 1 and "error: notice_not_found" in capsys.readouterr().err


# -- lgsp watch ------------------------------------------------------------------------


def test_watch_prints_a_notice_as_a_line_then_its_body() -> None:
    frame = {"type": "notice", "recipient": "*", "at": 1796133600, "notice": NOTICE}
    assert event_line(frame) == ("2026-12-01T14:00:00Z  notice                 maintenance  "
                                 "upcoming  2026-12-01 22:00–23:30 (+07)  "
                                 "[exchange, realtime]  Bảo trì trục LGSP")
    printed: list[str] = []
    watcher = Watcher(LgspClient("http://127.0.0.1:9", "AK", "secret"), emit=printed.append,
                      note=lambda _: None)
    watcher._show(frame)
    assert printed == [event_line(frame), "    Dòng một.", "    Dòng hai."]
    cancelled = {**frame, "notice": {**NOTICE, "state": "cancelled"}}
    printed.clear()
    watcher._show(cancelled)
    assert "  cancelled  " in printed[0]


def test_the_summary_lists_the_current_notices() -> None:
    summary = {"type": "summary", "unit": UNIT, "app": "a1", "server_time": 1796133600,
               "inbox": {"items": [], "more": False}, "outbox": {"items": [], "more": False},
               "notices": {"items": [{k: v for k, v in NOTICE.items() if k != "body"}],
                           "more": True}}
    lines = summary_lines(summary)
    assert lines[-2:] == ["1+ maintenance notices (lgsp notices):",
                          "  maintenance  upcoming  2026-12-01 22:00–23:30 (+07)  "
                          "[exchange, realtime]  Bảo trì trục LGSP"]
    assert len(summary_lines({**summary, "notices": {"items": [], "more": False}})) == 3
