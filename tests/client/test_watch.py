"""`lgsp watch` against an in-test WebSocket hub, with the in-test REST hub for health,
fetch and confirm: the signed handshake, sync first, summaries and events in both output
forms, heartbeats on the hub's interval, reconnects with backoff, final refusals,
auto-fetch, `--once`, and stopping cleanly. Nothing here waits on a timer: tests wait on
queues for what must happen, and move an injected clock."""

from __future__ import annotations

import _thread
import hashlib
import io
import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tenacity import RetryCallState, Retrying

from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.signatures import SignedRequest, VerificationKey, verify_request
from lgsp_client.api import LgspClient
from lgsp_client.cli import build_parser, main
from lgsp_client.errors import ConfigError, LgspApiError
from lgsp_client.exchange import send_file
from lgsp_client.render import event_line, summary_lines
from lgsp_client.signing import LgspAuth
from lgsp_client.watch import (
    Backoff,
    Watcher,
    derive_websocket_url,
    heartbeat_interval,
    normalise_websocket_url,
    websocket_url,
)
from tests.client.fakehub import FakeHub
from tests.client.fakews import FakeWsHub, free_port_url, serve_ws
from tests.client.server import serve

SRC, DST = "000.00.31.H99", "000.00.32.H99"
KEYS = {"AKSRC": "src-secret", "AKDST": "dst-secret"}
WAIT = 10.0  # how long a test waits for something that must happen before failing
AT = 1_893_456_000  # 2030-01-01T00:00:00Z
SYNC, BEAT = {"action": "sync"}, {"action": "heartbeat"}


class Lines:
    """A thread-safe sink for emitted lines that a test can wait on, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []

    def __call__(self, line: str) -> None:
        self._queue.put(line)

    def wait(self, predicate: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no such line; saw {self.seen}")
            self.seen.append(line)
            if predicate(line):
                return line

    def all(self) -> list[str]:
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return self.seen


class FakeClock:
    """A monotonic clock the test moves."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def summary_shown(line: str) -> bool:
    return "connected as" in line


@pytest.fixture
def rest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    monkeypatch.delenv("LGSP_PROFILE", raising=False)
    fake = FakeHub(keys=KEYS, units={"AKSRC": SRC, "AKDST": DST})
    with serve(fake) as server:
        fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKDST")
        monkeypatch.setenv("LGSP_SECRET_KEY", KEYS["AKDST"])
        yield fake


@pytest.fixture
def ws(rest: FakeHub) -> Iterator[FakeWsHub]:
    with serve_ws(FakeWsHub(keys=KEYS, unit=DST)) as hub:
        rest.websocket_url = hub.url
        yield hub


def watcher(rest: FakeHub, **options: Any) -> tuple[Watcher, Lines, Lines]:
    out, err = Lines(), Lines()
    options.setdefault("sleep", lambda _seconds: None)
    client = LgspClient(rest.url, "AKDST", KEYS["AKDST"])
    return Watcher(client, emit=out, note=err, poll=0.02, **options), out, err


@contextmanager
def running(w: Watcher) -> Iterator[None]:
    """Run the watch on a thread; on leaving, stop it and check it ended with 0."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(w.run()), daemon=True)
    thread.start()
    try:
        yield
    finally:
        w.stop.set()
        thread.join(WAIT)
    assert not thread.is_alive() and result == [0]


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--no-progress", *argv], out=out), out.getvalue()


def frames(hub: FakeWsHub) -> list[tuple[int, dict[str, Any]]]:
    got = []
    while not hub.frames.empty():
        got.append(hub.frames.get())
    return got


def available(message_id: str, priority: str = "khan") -> dict[str, Any]:
    return {"type": "message.available", "recipient": DST, "message_id": message_id,
            "priority": priority, "at": AT, "source": SRC, "size": 1536, "confirm_by": AT}


# -- signing and where to connect -------------------------------------------------------


def test_sign_headers_cover_the_https_form_of_a_wss_url_with_a_nonce() -> None:
    now = 1_790_000_000
    auth = LgspAuth("AK1", "s3cret", clock=lambda: now - 40)
    auth.clock_offset = 40
    url = "wss://abc.execute-api.ap-southeast-1.amazonaws.com/prod?b=2&a=x%20y"
    headers = auth.sign_headers("GET", url)
    assert set(headers) == {"Signature-Input", "Signature"}
    key = VerificationKey(key_id="AK1", algorithm="hmac-sha256", material=b"s3cret",
                          unit="U", app="A", legacy=False)

    def hub_verifies(target: str) -> Any:
        return verify_request(SignedRequest("GET", target, headers, b""), now=now,
                              skew_seconds=300, find_key=lambda k: key if k == "AK1" else None,
                              require_nonce=True)

    caller = hub_verifies("https://abc.execute-api.ap-southeast-1.amazonaws.com/prod"
                          "?a=x%20y&b=2")
    assert caller.created == now and caller.nonce
    with pytest.raises(AuthenticationError):
        hub_verifies(url)
    assert auth.sign_headers("GET", url)["Signature-Input"] != headers["Signature-Input"]


def test_websocket_url_from_option_health_or_endpoint(rest: FakeHub) -> None:
    client = LgspClient(rest.url)
    assert websocket_url(client) == rest.url.replace("http://", "ws://") + "/ws"
    rest.websocket_url = "WSS://Abc.Example:443/prod/?z=1&a=2"
    assert websocket_url(client) == "wss://abc.example/prod?a=2&z=1"
    assert websocket_url(client, "ws://h:8000/ws") == "ws://h:8000/ws"
    assert derive_websocket_url("https://lgsp.example.gov.vn/prod/") == \
        "wss://lgsp.example.gov.vn/prod/ws"
    assert derive_websocket_url("http://127.0.0.1:8000") == "ws://127.0.0.1:8000/ws"
    with pytest.raises(ConfigError, match="ws://"):
        normalise_websocket_url("https://h/ws")


def test_heartbeat_interval_and_backoff() -> None:
    assert [heartbeat_interval(v) for v in (30, "45", 1, 0, None, "x", float("nan"))] == \
        [30, 45, 5, 5, 60, 60, 60]
    backoff = Backoff(maximum=10)
    state = RetryCallState(Retrying(), None, (), {})
    waits = [backoff(state) for _ in range(6)]
    for wait, low in zip(waits, [1, 2, 4, 8, 10, 10], strict=True):
        assert low <= wait <= min(low + 1, 10)
    backoff.reset()
    assert 1 <= backoff(state) <= 2


def test_lines_for_events_and_summaries() -> None:
    assert event_line(available("M1")).split() == [
        "2030-01-01T00:00:00Z", "message.available", "M1", "Khẩn", "from", SRC, "1.5", "KiB"]
    rejected = {"type": "message.rejected", "recipient": SRC, "message_id": "M2",
                "priority": "hoa_toc", "at": AT, "destination": DST, "reason": "Sai nơi"}
    assert event_line(rejected).split("  ")[-3:] == ["Hỏa tốc", f"to {DST}", "reason: Sai nơi"]
    online = {"type": "unit.online", "recipient": SRC, "unit": DST, "at": AT}
    assert event_line(online).split() == ["2030-01-01T00:00:00Z", "unit.online", DST]
    new = {"type": "brand.new", "recipient": DST, "at": AT, "detail": {"x": 1}}
    assert event_line(new).endswith('brand.new              {"recipient":"000.00.32.H99",'
                                    '"detail":{"x":1}}')
    summary = {"type": "summary", "unit": DST, "app": "a1", "server_time": "T",
               "inbox": {"items": [{"id": "M1", "priority": "hoa_toc", "source": SRC,
                                    "title": "Công văn", "size": 2048}], "more": True},
               "outbox": {"items": [{"state": "completed"}, {"state": "verified"},
                                    {"state": "completed"}], "more": False}}
    assert summary_lines(summary) == [
        f"T  connected as {DST} (app a1)", "1+ waiting:",
        f"  M1  Hỏa tốc  from {SRC}  Công văn  2.0 KiB",
        "3 sent recently: 2 completed, 1 verified"]


def test_watch_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["watch", "--json", "--auto-fetch", "in", "--once",
                                      "--ws-url", "wss://h/prod", "--max-backoff", "5"])
    assert (args.command, args.json, args.auto_fetch, args.once, args.ws_url,
            args.max_backoff) == ("watch", True, Path("in"), True, "wss://h/prod", 5.0)
    defaults = build_parser().parse_args(["watch"])
    assert (defaults.json, defaults.auto_fetch, defaults.once, defaults.ws_url,
            defaults.max_backoff) == (False, None, False, None, 60.0)
    with pytest.raises(SystemExit) as usage:
        main(["watch", "--max-backoff", "0"])
    assert usage.value.code == 2 and "usage:" in capsys.readouterr().err


# -- the connection ---------------------------------------------------------------------


def test_handshake_is_signed_with_a_nonce_and_sync_comes_first(
        rest: FakeHub, ws: FakeWsHub) -> None:
    w, out, err = watcher(rest, once=True)
    assert w.run() == 0
    [handshake] = ws.handshakes
    assert handshake.url == ws.url.replace("ws://", "http://")  # the http form is signed
    assert handshake.covered[:2] == ['"@method"', '"@target-uri"']
    assert handshake.parameters["keyid"] == "AKDST"
    assert handshake.parameters["alg"] == "hmac-sha256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", handshake.parameters["nonce"])
    assert abs(handshake.parameters["created"] - time.time()) < 60
    assert frames(ws) == [(0, SYNC)]
    assert ws.closes.get(timeout=WAIT) == (0, 1000)
    assert out.all() == ["2030-01-01T00:00:00Z  connected as 000.00.32.H99 (app app-1)",
                         "0 waiting", "0 sent recently"]
    assert err.all() == [f"connected to {ws.url}"]


EVENTS = [
    available("M0007", "hoa_toc"),
    {"type": "message.confirmed", "recipient": DST, "message_id": "M0003",
     "priority": "thuong", "at": AT, "destination": SRC},
    {"type": "unit.offline", "recipient": DST, "unit": SRC, "at": AT},
    {"type": "brand.new", "recipient": DST, "at": AT, "detail": [1, 2]},
]
ERROR = {"type": "error", "code": "bad_frame", "message": "Frames are JSON objects"}


def test_summary_and_events_are_printed_and_stop_closes_with_1000(
        rest: FakeHub, ws: FakeWsHub) -> None:
    ws.inbox = [{"id": "M0001", "priority": "hoa_toc", "source": SRC, "title": "CV 1",
                 "size": 10}]
    w, out, err = watcher(rest)
    with running(w):
        out.wait(summary_shown)
        for frame in [*EVENTS, ERROR, "not json"]:
            ws.push(frame)
        out.wait(lambda line: "brand.new" in line)
        err.wait(lambda line: "not a JSON object" in line)
    assert ws.closes.get(timeout=WAIT) == (0, 1000)
    assert out.all() == [
        "2030-01-01T00:00:00Z  connected as 000.00.32.H99 (app app-1)", "1 waiting:",
        f"  M0001  Hỏa tốc  from {SRC}  CV 1  10 B", "0 sent recently",
        *[event_line(e) for e in EVENTS]]
    assert "2030-01-01T00:00:00Z  message.available      M0007  Hỏa tốc  from " \
           f"{SRC}  1.5 KiB" in out.all()
    assert "hub error: bad_frame: Frames are JSON objects" in err.all()


def test_json_prints_every_frame_as_one_line(rest: FakeHub, ws: FakeWsHub) -> None:
    w, out, err = watcher(rest, as_json=True)
    with running(w):
        out.wait(lambda line: '"summary"' in line)
        for frame in [*EVENTS, ERROR, "not json"]:
            ws.push(frame)
        err.wait(lambda line: "not a JSON object" in line)
    printed = [json.loads(line) for line in out.all()]
    assert printed[0]["type"] == "summary" and printed[0]["unit"] == DST
    assert printed[1:] == [*EVENTS, ERROR]


@pytest.mark.parametrize(("advertised", "interval"), [(30, 30), (1, 5)])
def test_heartbeat_follows_the_advertised_interval(
        rest: FakeHub, ws: FakeWsHub, advertised: int, interval: int) -> None:
    clock = FakeClock(1000.0)
    ws.heartbeat_seconds, ws.clock = advertised, clock
    w, out, _ = watcher(rest, clock=clock)
    with running(w):
        out.wait(summary_shown)  # the schedule is set before the summary is shown
        clock.now = 1000.0 + interval
        assert ws.beats.get(timeout=WAIT) == 1000.0 + interval
        clock.now = 1000.0 + 2 * interval
        assert ws.beats.get(timeout=WAIT) == 1000.0 + 2 * interval
    assert frames(ws) == [(0, SYNC), (0, BEAT), (0, BEAT)]
    assert not any("heartbeat" in line for line in out.all())


def test_a_close_or_a_5xx_reconnects_with_backoff_and_syncs_again(
        rest: FakeHub, ws: FakeWsHub) -> None:
    delays: list[float] = []
    w, out, err = watcher(rest, sleep=delays.append)
    with running(w):
        out.wait(summary_shown)
        ws.refuse.append((503, "unavailable"))
        ws.drop(1011)
        out.wait(summary_shown)
        assert w.backoff.failures == 0  # reset by the summary
    assert [(n, f) for n, f in frames(ws) if f == SYNC] == [(0, SYNC), (1, SYNC)]
    assert ws.attempts == 3 and w.connections == 2 and len(ws.handshakes) == 2
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 3
    notes = err.all()
    assert any(n.startswith("the connection closed (code 1011); reconnecting in") for n in notes)
    assert any("(HTTP 503 unavailable); reconnecting in" in n for n in notes)


def test_network_errors_back_off_until_stopped() -> None:
    delays: list[float] = []
    out, err = Lines(), Lines()

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 4:
            w.stop.set()

    w = Watcher(LgspClient("http://127.0.0.1:9", "AKDST", "x"), emit=out, note=err,
                ws_url=free_port_url(), max_backoff=5, sleep=sleep)
    assert w.run() == 0
    assert [int(d) for d in delays] == [1, 2, 4, 5]
    assert all(n.startswith("cannot connect to ws://127.0.0.1:") for n in err.all())


@pytest.mark.parametrize("refusal", [None, (403, "app_disabled")])
def test_a_refused_handshake_is_final(
        rest: FakeHub, ws: FakeWsHub, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], refusal: tuple[int, str] | None) -> None:
    if refusal is None:
        monkeypatch.setenv("LGSP_SECRET_KEY", "not-the-secret")
    else:
        ws.refuse.append(refusal)
    code = "signature_invalid" if refusal is None else refusal[1]
    assert lgsp("watch") == (1, "")
    assert capsys.readouterr().err == f"error: {code}: refused: {code}\n"
    assert ws.attempts == 1


def test_clock_skew_reads_the_hub_clock_and_signs_again(rest: FakeHub, ws: FakeWsHub) -> None:
    rest.clock_offset = 1000
    ws.refuse.append((401, "clock_skew"))
    w, _, _ = watcher(rest, once=True)
    assert w.run() == 0
    assert ws.attempts == 2
    assert abs(ws.handshakes[0].parameters["created"] - (time.time() + 1000)) < 60


def test_a_malformed_summary_is_shown_as_json(rest: FakeHub, ws: FakeWsHub) -> None:
    ws.inbox = ["not an item"]
    w, out, _ = watcher(rest, once=True)
    assert w.run() == 0
    [line] = out.all()
    assert json.loads(line)["inbox"]["items"] == ["not an item"]


def test_once_gives_up_without_a_summary(rest: FakeHub, ws: FakeWsHub) -> None:
    clock = FakeClock()
    ws.answer_sync = False
    w, _, _ = watcher(rest, once=True, clock=clock)
    threading.Thread(target=lambda: (ws.frames.get(timeout=WAIT),
                                     setattr(clock, "now", 2000.0)), daemon=True).start()
    with pytest.raises(LgspApiError) as failed:
        w.run()
    assert (failed.value.code, failed.value.message) == ("connection_failed",
                                                         "the hub sent no summary")


def test_once_from_the_command_line(rest: FakeHub, ws: FakeWsHub, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ws.inbox = [{"id": "M0001", "priority": "khan", "source": SRC, "title": "T", "size": 1}]
    code, out = lgsp("watch", "--once")
    assert code == 0
    assert out.splitlines()[1:3] == ["1 waiting:", f"  M0001  Khẩn  from {SRC}  T  1 B"]
    code, out = lgsp("watch", "--once", "--json")
    [line] = out.splitlines()
    assert code == 0 and json.loads(line)["inbox"]["items"] == ws.inbox
    assert lgsp("watch", "--once", "--auto-fetch", str(tmp_path / "none")) == (1, "")
    assert "error: no_such_directory: " in capsys.readouterr().err


def test_ctrl_c_exits_0_and_closes_with_1000(rest: FakeHub, ws: FakeWsHub,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt_once_connected() -> None:
        ws.frames.get(timeout=WAIT)  # the sync: the watch is in its loop
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_connected, daemon=True).start()
    assert lgsp("watch")[0] == 0
    assert ws.closes.get(timeout=WAIT) == (0, 1000)
    assert "interrupted: closing" in capsys.readouterr().err


# -- auto-fetch -------------------------------------------------------------------------


def send_messages(rest: FakeHub, tmp_path: Path, count: int) -> dict[str, bytes]:
    """`count` messages from SRC to DST, all with the same file name."""
    sender = LgspClient(rest.url, "AKSRC", KEYS["AKSRC"])
    folder = tmp_path / "outgoing"
    folder.mkdir()
    sent = {}
    for n in range(count):
        data = os.urandom(1000 + n)
        (folder / "bao-cao.pdf").write_bytes(data)
        result = send_file(sender, folder / "bao-cao.pdf", to=[DST], title=f"CV {n}",
                           progress=False)
        sent[result.message["id"]] = data
    return sent


def fetched(message_id: str, data: bytes) -> Callable[[str], bool]:
    digest = hashlib.sha256(data).hexdigest()
    return lambda line: line.endswith(f" {len(data)} sha256:{digest} confirmed")


def test_auto_fetch_takes_summary_and_pushed_messages_once_each(
        rest: FakeHub, ws: FakeWsHub, tmp_path: Path) -> None:
    sent = send_messages(rest, tmp_path, 3)
    ws.inbox = [rest._view(rest.messages["M0001"])]
    folder = tmp_path / "in"
    folder.mkdir()
    w, out, _ = watcher(rest, auto_fetch=folder)
    with running(w):
        out.wait(fetched("M0001", sent["M0001"]))
        ws.push(available("M0002"))
        ws.push(available("M0001"))
        out.wait(fetched("M0002", sent["M0002"]))
        ws.inbox = [rest._view(rest.messages[m]) for m in ("M0001", "M0002")]
        ws.drop(1001)
        out.wait(summary_shown)  # both listed again after the reconnect: not fetched again
        ws.push(available("M0003"))
        out.wait(fetched("M0003", sent["M0003"]))
    assert [(m, ok) for m, _, ok in rest.confirmations] == \
        [("M0001", True), ("M0002", True), ("M0003", True)]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        "bao-cao.pdf": sent["M0001"], "bao-cao.M0002.pdf": sent["M0002"],
        "bao-cao.M0003.pdf": sent["M0003"]}


def test_a_failed_fetch_is_reported_and_the_watch_goes_on(
        rest: FakeHub, ws: FakeWsHub, tmp_path: Path) -> None:
    sent = send_messages(rest, tmp_path, 2)
    folder = tmp_path / "in"
    folder.mkdir()
    rest.corrupt_download = True
    w, out, err = watcher(rest, auto_fetch=folder)
    with running(w):
        out.wait(summary_shown)
        ws.push(available("M0001"))
        err.wait(lambda line: line.startswith("M0001: error: checksum_mismatch: "))
        rest.corrupt_download = False
        ws.push(available("M9999"))
        err.wait(lambda line: line.startswith("M9999: error: message_not_found: "))
        ws.push(available("M0001"))  # taken once in this process: not retried
        ws.push(available("M0002"))
        out.wait(fetched("M0002", sent["M0002"]))
    assert [(m, ok) for m, _, ok in rest.confirmations] == [("M0001", False), ("M0002", True)]
    assert [p.name for p in folder.iterdir()] == ["bao-cao.pdf"]


def test_a_summary_with_more_is_asked_again_once_its_items_are_fetched(
        rest: FakeHub, ws: FakeWsHub, tmp_path: Path) -> None:
    sent = send_messages(rest, tmp_path, 2)
    ws.inbox, ws.more = [rest._view(rest.messages["M0001"])], True
    folder = tmp_path / "in"
    folder.mkdir()
    w, out, _ = watcher(rest, auto_fetch=folder)
    with running(w):
        out.wait(fetched("M0001", sent["M0001"]))
        out.wait(summary_shown)  # asked again: lists M0001 again, nothing new to fetch
        ws.push(available("M0002"))
        out.wait(fetched("M0002", sent["M0002"]))
    assert [f for _, f in frames(ws) if f == SYNC] == [SYNC, SYNC]
    assert [m for m, _, _ in rest.confirmations] == ["M0001", "M0002"]


def test_once_with_auto_fetch_takes_the_summary_in_order_then_exits(
        rest: FakeHub, ws: FakeWsHub, tmp_path: Path) -> None:
    sent = send_messages(rest, tmp_path, 2)
    ws.inbox = [rest._view(rest.messages[m]) for m in ("M0002", "M0001")]
    folder = tmp_path / "in"
    folder.mkdir()
    code, out = lgsp("watch", "--once", "--auto-fetch", str(folder))
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[-2:]] == \
        [str(folder / "bao-cao.pdf"), str(folder / "bao-cao.M0001.pdf")]
    assert [m for m, _, _ in rest.confirmations] == ["M0002", "M0001"]
    assert (folder / "bao-cao.pdf").read_bytes() == sent["M0002"]
