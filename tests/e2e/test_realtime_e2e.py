"""Real-time notification and presence over a real WebSocket against the `make run` host
(R-COMP-5, R-SEND-1, R-RECV-1, R-PROP-9, R-PROP-12): pushes, the on-connect summary,
heartbeats that lapse, and a moved clock that drives the sweeper's warnings and expiry."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import ROOT, LocalHub, host_in
from tests.e2e.realtime import HubApp, OffsetFile

pytestmark = pytest.mark.e2e
SOURCE, DEST, OPERATOR = "000.00.31.H99", "000.00.32.H99", "000.00.30.H99"


def app_of(hub: LocalHub, unit: str, clock: Any = None) -> HubApp:
    found = next(a for a in hub.apps if a["unit"] == unit)
    return HubApp(hub.url, found, clock or (lambda: int(time.time())))


def test_a_connected_destination_is_pushed_a_message_sent_by_another_unit(
        local_hub: LocalHub) -> None:
    with app_of(local_hub, DEST).websocket() as dest:
        dest.send("sync")
        assert dest.wait_for("summary")["unit"] == DEST
        message_id = app_of(local_hub, SOURCE).send(b"cong van moi", DEST)
        pushed = dest.wait_for("message.available", message_id=message_id)
        assert pushed["source"] == SOURCE and pushed["priority"] == "khan"


def test_a_destination_that_was_offline_finds_it_in_the_summary(local_hub: LocalHub) -> None:
    message_id = app_of(local_hub, SOURCE).send(b"gui khi vang mat", DEST)
    with app_of(local_hub, DEST).websocket() as dest:
        dest.send("sync")
        summary = dest.wait_for("summary")
        assert message_id in [i["id"] for i in summary["inbox"]["items"]]


def test_a_notice_reaches_every_unit_connected_on_the_real_host(
        local_hub: LocalHub) -> None:
    """R-OPS-4: an operator's notice is pushed to the apps of other units at once, and its
    cancellation too (docs/notices.md)."""
    operator = app_of(local_hub, OPERATOR)
    with app_of(local_hub, DEST).websocket() as dest, \
            app_of(local_hub, SOURCE).websocket() as source:
        for ws in (dest, source):
            ws.send("sync")
            ws.wait_for("summary")
        status, made = operator.call("POST", "/v1/admin/notices", {
            "title": "Bảo trì trục LGSP", "body": "Nâng cấp máy chủ.",
            "severity": "maintenance", "ends_at": "2099-01-01T00:00:00Z",
            "starts_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        assert status == 400 and made["error"]["code"] == "invalid_notice_window"  # > 30 days
        now = int(time.time())
        status, made = operator.call("POST", "/v1/admin/notices", {
            "title": "Bảo trì trục LGSP", "body": "Nâng cấp máy chủ.",
            "severity": "maintenance",
            "ends_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))})
        assert status == 201, made
        for ws in (dest, source):
            assert ws.wait_for("notice")["notice"] == made
        status, cancelled = operator.call("POST", f"/v1/admin/notices/{made['id']}/cancel")
        assert status == 200 and cancelled["state"] == "cancelled"
        for ws in (dest, source):
            assert ws.wait_for("notice")["notice"]["state"] == "cancelled"
    status, refused = app_of(local_hub, DEST).call("POST", "/v1/admin/notices", {
        "title": "x", "body": "y", "severity": "info", "ends_at": "2099-01-01T00:00:00Z"})
    assert status == 403 and refused["error"]["code"] == "forbidden"


def test_an_unsigned_handshake_is_refused_with_401(local_hub: LocalHub) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(local_hub.url.replace("http://", "ws://") + "/ws", open_timeout=10)
    assert refused.value.response.status_code == 401


@pytest.fixture(scope="module")
def timed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalHub,
                                                                           OffsetFile]]:
    """A host of its own whose clock the test moves, with a fast sweeper."""
    var = tmp_path_factory.mktemp("timed") / "var"
    offset = OffsetFile(var.parent / "clock-offset")
    hub = host_in(var, LGSP_CLOCK_OFFSET_FILE=str(offset.path), LGSP_SWEEP_SECONDS="0.3",
                  LGSP_PRESENCE_TIMEOUT_SECONDS="180")
    hub.start()
    try:
        yield hub, offset
    finally:
        if hub.proc is not None:
            hub.stop()


def test_lapsed_heartbeats_make_the_unit_offline_with_history(
        timed_hub: tuple[LocalHub, OffsetFile]) -> None:
    hub, clock = timed_hub
    with app_of(hub, OPERATOR, clock.now).websocket() as operator, \
            app_of(hub, DEST, clock.now).websocket() as dest:
        operator.send("sync")
        operator.wait_for("summary")
        operator.wait_for("unit.online", unit=DEST)
        clock.advance(100)
        operator.heartbeat()  # the operator keeps its connection alive, the destination not
        clock.advance(100)
        offline = operator.wait_for("unit.offline", unit=DEST)
        assert offline["at"] >= clock.now() - 5
        with pytest.raises(ConnectionClosed):  # the hub closed the silent connection
            dest.wait_for("never", timeout=10)
    status, history = app_of(hub, OPERATOR, clock.now).call(
        "GET", f"/v1/presence/history?unit={DEST}")
    assert status == 200
    assert [(h["event"], h["detail"]) for h in history["items"][:4]] == [
        ("offline", None), ("disconnected", "heartbeat_missed"), ("online", None),
        ("connected", None)]


def test_a_moved_clock_drives_the_waiting_warning_and_the_expiry(
        timed_hub: tuple[LocalHub, OffsetFile]) -> None:
    hub, clock = timed_hub
    source_app = app_of(hub, SOURCE, clock.now)
    with source_app.websocket() as source:
        source.send("sync")
        source.wait_for("summary")
        message_id = source_app.send(b"can xu ly gap", DEST, confirm_within_seconds=600,
                                     offline_limit_seconds=60)
        clock.advance(61)
        source.heartbeat()
        warning = source.wait_for("message.waiting", message_id=message_id)
        assert (warning["destination"], warning["reason"]) == (DEST, "destination_offline")
        for _ in range(4):  # past the deadline, in steps the source's heartbeats cover
            clock.advance(150)
            source.heartbeat()
        expired = source.wait_for("message.expired", message_id=message_id)
        assert expired["destination"] == DEST
    # The sweep that told the source goes on to end the message (its content deleted):
    # read until it has, within a bound, rather than racing the sweep's last step.
    deadline = time.monotonic() + 30
    while True:
        status, body = source_app.call("GET", f"/v1/messages/{message_id}")
        assert status == 200
        if body["message"]["state"] == "completed" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["message"]["state"] == "completed"
    assert body["message"]["content_deleted_at"] is not None
    assert [d["state"] for d in body["deliveries"]] == ["expired"]


def test_lgsp_watch_auto_fetches_a_pushed_message(local_hub: LocalHub, tmp_path: Any) -> None:
    """The CLI end to end: `lgsp watch --auto-fetch` downloads, verifies and confirms a
    message pushed to it, and Ctrl-C ends it cleanly."""
    dest_app = next(a for a in local_hub.apps if a["unit"] == DEST)
    env = {**local_hub.env, "LGSP_ENDPOINT": local_hub.url,
           "LGSP_ACCESS_KEY": dest_app["access_key"], "LGSP_SECRET_KEY": dest_app["secret_key"],
           "LGSP_CREDENTIALS_FILE": "/nonexistent"}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch = subprocess.Popen(
        [sys.executable, "-m", "lgsp_client", "watch", "--json", "--no-progress",
         "--auto-fetch", str(inbox)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert watch.stdout is not None
        first = json.loads(watch.stdout.readline())  # the summary: it is connected
        assert first["type"] == "summary"
        source = app_of(local_hub, SOURCE)
        message_id = source.send(b"tu dong nhan", DEST)
        for line in watch.stdout:
            if json.loads(line).get("message_id") == message_id:
                break
        end = time.monotonic() + 30
        while time.monotonic() < end:  # the worker confirms after the download
            status, body = source.call("GET", f"/v1/messages/{message_id}")
            if body["deliveries"][0]["state"] == "confirmed":
                break
            time.sleep(0.2)  # polling a condition, bounded by the deadline
        assert body["deliveries"][0]["state"] == "confirmed"
        assert b"tu dong nhan" in {p.read_bytes() for p in inbox.iterdir()}
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, err
