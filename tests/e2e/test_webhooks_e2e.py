"""Webhooks on the `make run` host (issue 16, R-PROP-8; docs/webhooks.md): a local
receiver, allowed by the explicit settings for http and loopback, gets signed webhooks
for a full exchange and verifies each with the published helper; it survives being down
for a while (everything arrives after it returns, each event once); an endpoint down past
the retry window ends in the dead-letter list and is disabled, its unit told; and a host
killed with SIGKILL between a change and its delivery delivers it after restart."""

from __future__ import annotations

import hashlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalHub, open_table, started_hub
from tests.e2e.realtime import HubApp
from tests.e2e.webhook_receiver import Receiver, within

pytestmark = pytest.mark.e2e
SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"
RETRY_SECONDS = 30
SETTINGS = {"LGSP_WEBHOOK_ALLOW_HTTP": "true", "LGSP_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8",
            "LGSP_WEBHOOK_FIRST_RETRY_SECONDS": "1",
            "LGSP_WEBHOOK_RETRY_SECONDS": str(RETRY_SECONDS),
            "LGSP_WEBHOOK_DISABLE_AFTER_SECONDS": str(RETRY_SECONDS)}


def app_of(hub: LocalHub, unit: str) -> HubApp:
    found = next(a for a in hub.apps if a["unit"] == unit)
    return HubApp(hub.url, found, lambda: int(time.time()))


def subscribe(app: HubApp, url: str, events: list[str]) -> tuple[str, str]:
    status, made = app.call("POST", "/v1/webhooks", {"url": url, "events": events})
    assert status == 201, made
    return made["webhook"]["id"], made["secret"]


def exchange(source: HubApp, dest: HubApp, content: bytes) -> str:
    """A whole exchange: sent, fetched, downloaded, confirmed."""
    message_id = source.send(content, DEST, )
    status, grant = dest.call("POST", f"/v1/messages/{message_id}/fetch", {})
    assert status == 200, grant
    got = requests.request(grant["method"], grant["url"], headers=grant["headers"], timeout=30)
    assert got.content == content
    status, done = dest.call("POST", f"/v1/messages/{message_id}/confirm",
                             {"sha256": hashlib.sha256(content).hexdigest()})
    assert status == 200, done
    return message_id


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    with started_hub(tmp_path / "var", **SETTINGS) as running:
        yield running


def test_a_receiver_down_for_a_while_gets_everything_once_verified(hub: LocalHub) -> None:
    receiver = Receiver()
    source, dest = app_of(hub, SOURCE), app_of(hub, DEST)
    source_hook, source_secret = subscribe(source, receiver.url, ["*"])
    _, dest_secret = subscribe(dest, receiver.url, ["message.available"])
    receiver.secrets = [source_secret, dest_secret]
    # the receiver is down: the exchange goes on, the deliveries wait
    message_id = exchange(source, dest, b"cong van so 1")

    def failed_once() -> bool:
        status, page = source.call("GET", f"/v1/webhooks/{source_hook}/attempts")
        return status == 200 and any(a["error"] == "connect_failed" for a in page["items"])
    assert within(30, failed_once), "the hub never tried the receiver"
    receiver.up()
    try:
        wanted = {"message.available", "message.fetched", "message.confirmed"}
        assert within(RETRY_SECONDS, lambda: wanted <= {e["type"] for e in
                                                        receiver.events.values()}), \
            receiver.events
        second = exchange(source, dest, b"cong van so 2")  # and, once up, at once
        assert within(20, lambda: sum(e["type"] == "message.confirmed"
                                      for e in receiver.events.values()) == 2)
    finally:
        receiver.down()
    for kind in wanted:
        assert sorted(e["data"]["message_id"] for e in receiver.of_type(kind)) == \
            sorted([message_id, second])
    assert set(receiver.deliveries.values()) == {1}  # nothing twice by event id
    assert receiver.refused == []
    arrived = receiver.of_type("message.available")[0]
    assert arrived["data"]["recipient"] == DEST and "title" not in arrived["data"]
    status, page = source.call("GET", f"/v1/webhooks/{source_hook}/attempts")
    delivered = [a for a in page["items"] if a["delivered"]]
    assert delivered and all(a["status"] == 204 and a["latency_ms"] is not None
                             for a in delivered)


def test_an_endpoint_down_past_the_window_ends_in_the_dead_letters(hub: LocalHub) -> None:
    receiver = Receiver()  # never up
    source, dest = app_of(hub, SOURCE), app_of(hub, DEST)
    hook, secret = subscribe(dest, receiver.url, ["message.available"])
    message_id = source.send(b"khong ai nhan", DEST)

    def dead() -> list[dict[str, Any]]:
        status, page = dest.call("GET", f"/v1/webhooks/{hook}/dead-letters")
        assert status == 200, page
        return list(page["items"])
    assert within(RETRY_SECONDS + 30, lambda: bool(dead())), "no dead letter"
    [letter] = dead()
    assert (letter["reason"], letter["last_error"], letter["event_type"]) == (
        "gave_up", "connect_failed", "message.available")
    assert letter["attempts"] >= 4
    status, view = dest.call("GET", f"/v1/webhooks/{hook}")
    assert (view["state"], view["disabled_reason"]) == ("disabled", "failing")
    receiver.secrets = [secret]
    receiver.up()  # back: enable it, and redeliver what it missed
    try:
        assert dest.call("PATCH", f"/v1/webhooks/{hook}", {"state": "active"})[0] == 200
        status, queued = dest.call("POST", f"/v1/webhooks/{hook}/dead-letters/redeliver", {})
        assert status == 202 and queued["queued"] == 1
        assert within(20, lambda: bool(receiver.events))
    finally:
        receiver.down()
    [event] = receiver.events.values()
    assert event["id"] == letter["event_id"] and event["data"]["message_id"] == message_id


def pending(hub: LocalHub, kind: str) -> list[dict[str, Any]]:
    """The events of `kind` the hub still has to deliver: in its outbox, or as deliveries
    waiting for their next attempt (read from its table file)."""
    with open_table(hub) as table:
        waiting = [e for shard in range(8)
                   for i in table.query(f"WHOUT#{shard:02d}").items for e in i["events"]]
        waiting += [{**d["event"], "event_id": d["event_id"]} for shard in range(8)
                    for d in table.query(f"WHDUE#{shard:02d}").items]
    return [e for e in waiting if e["type"] == kind]


def test_a_host_killed_before_delivering_delivers_after_restart(tmp_path: Path) -> None:
    receiver = Receiver()  # down: the change is made, its webhook cannot be delivered yet
    with started_hub(tmp_path / "var", **SETTINGS) as hub:
        source = app_of(hub, SOURCE)
        _, secret = subscribe(source, receiver.url, ["message.confirmed"])
        receiver.secrets = [secret]
        message_id = exchange(source, app_of(hub, DEST), b"truoc khi may chu bi dung")
        waiting = pending(hub, "message.confirmed")
        assert [e["message_id"] for e in waiting] == [message_id]
        assert hub.proc is not None
        hub.proc.kill()  # SIGKILL: between the change and its delivery
        assert hub.proc.wait(timeout=30) == -signal.SIGKILL
        hub.proc = None
        receiver.up()
        hub.start()
        try:
            assert within(30, lambda: bool(receiver.of_type("message.confirmed")))
        finally:
            receiver.down()
    [event] = receiver.of_type("message.confirmed")
    assert event["id"] == waiting[0]["event_id"]
    assert event["data"]["message_id"] == message_id and event["data"]["destination"] == DEST
