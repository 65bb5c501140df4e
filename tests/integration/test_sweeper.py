"""The sweeper (R-PROP-3, R-PROP-4, R-PROP-9): deadlines expire, offline destinations and
destinations without software are reported to the source, abandoned uploads are purged,
lapsed connections go offline; every effect once, even when sweeps overlap."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
import pytest

from chalicelib.domain import keys
from chalicelib.domain.ports import Event
from chalicelib.domain.times import iso
from chalicelib.services import registry, sweeper
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, send
from tests.support.fakes import FakeClock, FakeConnections
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World, content_request
from tests.support.ws import WsApp

HOUR = 3600


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"offline_limit_seconds": 2 * HOUR, "presence_timeout_seconds": 180}


def clock(hub: World) -> FakeClock:
    assert isinstance(hub.deps.clock, FakeClock)
    return hub.deps.clock


def to_source(seen: list[Event]) -> list[tuple[str, str | None, Any]]:
    return [(e.type, e.data.get("destination"), e.data.get("reason")) for e in seen
            if e.recipient == UNIT_A]


def due_items(hub: World) -> list[dict[str, Any]]:
    items = []
    for offset in range(-1, 5):
        day = sweeper.deadlines.day_of(clock(hub).now() + offset * 86400)
        items += hub.deps.table.query(f"DUE#{day}", limit=100).items
    return items


def test_the_deadline_expires_unconfirmed_destinations_once_and_deletes_the_content(
        hub: World) -> None:
    seen = recorded(hub)
    data = b"han xu ly"
    message_id = send(hub, data, [UNIT_B, UNIT_C], policy={"confirm_within_seconds": HOUR})
    receive(hub.b, message_id)
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    object_key = hub.deps.table.get(*keys.message(message_id))["object_key"]
    seen.clear()
    clock(hub).advance(HOUR - 1)
    assert sweeper.sweep(hub.deps).due_handled == 0  # not yet due
    clock(hub).advance(1)
    sweeper.sweep(hub.deps)
    assert to_source(seen) == [("message.expired", UNIT_C, None)]
    status = hub.a.get(f"/v1/messages/{message_id}").body
    assert status["message"]["state"] == "completed"
    assert {d["unit"]: d["state"] for d in status["deliveries"]} == {
        UNIT_B: "confirmed", UNIT_C: "expired"}
    assert hub.deps.objects.head(object_key) is None
    assert hub.c.get("/v1/inbox").body["items"] == []
    late = hub.c.post(f"/v1/messages/{message_id}/fetch")
    assert late.status == 409 and late.code == "expired"
    sweeper.sweep(hub.deps)
    assert len(to_source(seen)) == 1  # nothing told twice


def test_overlapping_sweeps_tell_each_event_once(hub: World) -> None:
    seen = recorded(hub)
    send(hub, b"a", [UNIT_B, UNIT_C], policy={"confirm_within_seconds": HOUR})
    clock(hub).advance(HOUR)
    pending = [i for i in due_items(hub) if i["due_at"] <= clock(hub).now()]
    seen.clear()
    sweeper.sweep(hub.deps)
    for item in pending:  # a second sweep read these before the first deleted them
        hub.deps.table.put(item)
    sweeper.sweep(hub.deps)
    assert sorted(to_source(seen)) == [("message.expired", UNIT_B, None),
                                       ("message.expired", UNIT_C, None)]


def test_a_destination_offline_too_long_is_reported_once(hub: World) -> None:
    seen = recorded(hub)
    dest = WsApp(hub, hub.b.creds)
    assert dest.connect()["statusCode"] == 200
    send(hub, b"cho", [UNIT_B], policy={"offline_limit_seconds": HOUR})
    clock(hub).advance(HOUR)
    sweeper.sweep(hub.deps)  # online (it does not fetch): not an offline problem
    assert [t for t, _, _ in to_source(seen)] == []
    dest.disconnect()
    went_offline = clock(hub).now()
    clock(hub).advance(HOUR - 1)
    sweeper.sweep(hub.deps)
    assert [t for t, _, _ in to_source(seen)] == []
    clock(hub).advance(HOUR)
    sweeper.sweep(hub.deps)
    assert to_source(seen) == [("message.waiting", UNIT_B, "destination_offline")]
    warning = next(e for e in seen if e.type == "message.waiting")
    assert warning.data["offline_since"] == iso(went_offline)
    clock(hub).advance(10 * HOUR)
    sweeper.sweep(hub.deps)
    assert len(to_source(seen)) == 1


def test_a_destination_that_never_connected_counts_from_arrival(hub: World) -> None:
    seen = recorded(hub)
    send(hub, b"x", [UNIT_C])  # hub default limit: 2 hours
    clock(hub).advance(2 * HOUR)
    sweeper.sweep(hub.deps)
    assert to_source(seen) == [("message.waiting", UNIT_C, "destination_offline")]


def test_a_destination_without_receiving_software_is_reported_at_once(hub: World) -> None:
    seen = recorded(hub)
    registry.create_unit(hub.deps, "000.00.09.H99", "Đơn vị chưa kết nối")
    message_id = send(hub, b"x", [UNIT_B, "000.00.09.H99"])
    assert to_source(seen) == [("message.undeliverable", "000.00.09.H99",
                                "no_receiving_app")]
    assert hub.a.get(f"/v1/messages/{message_id}").status == 200


def test_an_abandoned_upload_is_purged_and_the_source_told(hub: World) -> None:
    seen = recorded(hub)
    big = b"z" * (9 * 1024 * 1024)  # above the single-upload limit: multipart
    created = hub.a.post("/v1/messages", content_request(big, [UNIT_B]))
    assert created.status == 201
    message_id = created.body["message"]["id"]
    msg = hub.deps.table.get(*keys.message(message_id))
    assert msg["upload_id"]
    clock(hub).advance(24 * HOUR)
    sweeper.sweep(hub.deps)
    assert to_source(seen) == [("message.expired", UNIT_B, "content_never_arrived")]
    assert hub.a.get(f"/v1/messages/{message_id}").body["message"]["state"] == "abandoned"
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = hub.deps.objects.bucket  # type: ignore[attr-defined]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    again = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": []})
    assert again.status == 409


def test_lapsed_heartbeats_make_the_unit_offline(hub: World) -> None:
    seen = recorded(hub)
    ws = WsApp(hub, hub.b.creds)
    assert ws.connect()["statusCode"] == 200
    clock(hub).advance(150)
    ws.send({"action": "heartbeat"})
    clock(hub).advance(150)
    assert sweeper.sweep(hub.deps).connections_dropped == 0  # heard from 150 s ago
    clock(hub).advance(31)
    assert sweeper.sweep(hub.deps).connections_dropped == 1
    assert isinstance(hub.deps.connections, FakeConnections)
    assert ws.connection_id in hub.deps.connections.closed
    assert [e.type for e in seen if e.type.startswith("unit.")] == ["unit.online",
                                                                     "unit.offline"]
    history = hub.b.get("/v1/presence/history").body["items"]
    assert [(h["event"], h["detail"]) for h in history[:2]] == [
        ("offline", None), ("disconnected", "heartbeat_missed")]
    assert sweeper.sweep(hub.deps).connections_dropped == 0


def test_connections_of_a_host_that_died_are_all_dropped_in_one_sweep(
        hub: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-PROP-6: the host holding them died, so closing each at its endpoint fails; the
    sweep still drops every one and the unit goes offline."""
    sockets = [WsApp(hub, hub.b.creds) for _ in range(3)]
    for ws in sockets:
        assert ws.connect()["statusCode"] == 200

    def unreachable(endpoint: str, connection_id: str) -> None:
        raise OSError(f"{endpoint} does not answer")

    monkeypatch.setattr(hub.deps.connections, "close", unreachable)
    clock(hub).advance(400)
    assert sweeper.sweep(hub.deps).connections_dropped == 3
    assert hub.b.get("/v1/presence").body["state"] == "offline"


def test_the_cursor_walks_past_days_and_stops_at_unfinished_work(hub: World) -> None:
    send(hub, b"x", [UNIT_B], policy={"confirm_within_seconds": 3 * 86400})
    sweeper.sweep(hub.deps)
    first = hub.deps.table.get(*keys.SWEEP_CURSOR)
    assert first is not None
    clock(hub).advance(4 * 86400)
    report = sweeper.sweep(hub.deps)
    assert report.due_handled >= 1 and report.due_failed == 0
    cursor = hub.deps.table.get(*keys.SWEEP_CURSOR)
    assert cursor is not None and cursor["day"] == sweeper.deadlines.day_of(clock(hub).now())
    assert [i for i in due_items(hub) if i["due_at"] <= clock(hub).now()] == []
