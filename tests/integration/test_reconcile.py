"""After a restore, messages whose content the store no longer holds end cleanly with the
source told, instead of waiting for their deadline (R-OPS-4, R-PROP-9; services/reconcile.py);
a second run changes nothing."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.services.reconcile import reconcile
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, MiB, World, content_request


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"single_upload_max_bytes": 1 * MiB}


def lose_content(hub: World, message_id: str) -> None:
    """What a restore without the store's data looks like to one message."""
    hub.deps.objects.delete(hub.deps.table.get(*keys.message(message_id))["object_key"])


def snapshot(hub: World, message_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for unit in (UNIT_A, UNIT_B, UNIT_C):
        for pk in (keys.outbox_partition(unit), keys.inbox_partition(unit)):
            out += hub.deps.table.query(pk, limit=200).items
    for message_id in message_ids:
        out += hub.deps.table.query(keys.message_partition(message_id), limit=200).items
    return out


def test_a_verified_message_whose_content_is_gone_ends_with_the_source_told(hub: World) -> None:
    data = b"cong van truoc khi khoi phuc"
    lost = send(hub, data, [UNIT_B, UNIT_C])
    receive(hub.b, lost)
    hub.b.post(f"/v1/messages/{lost}/confirm", {"sha256": hashlib.sha256(data).hexdigest()})
    kept = send(hub, b"noi dung con nguyen", [UNIT_B])
    lose_content(hub, lost)
    seen = recorded(hub)

    report = reconcile(hub.deps)

    assert (report.messages_checked, report.content_lost, report.content_present,
            report.deliveries_ended) == (2, 1, 1, 1)
    assert [(e.type, e.recipient, e.data["destination"], e.data["reason"]) for e in seen] == [
        ("message.expired", UNIT_A, UNIT_C, "content_lost")]
    status = hub.a.get(f"/v1/messages/{lost}").body
    assert status["message"]["state"] == "completed"
    assert {d["unit"]: d["state"] for d in status["deliveries"]} == {
        UNIT_B: "confirmed", UNIT_C: "expired"}
    assert ("expired", UNIT_C, "content_lost") in {
        (t["event"], t["unit"], t["detail"]) for t in status["trace"]}
    assert [i["id"] for i in hub.c.get("/v1/inbox").body["items"]] == []
    assert [i["id"] for i in hub.b.get("/v1/inbox").body["items"]] == [kept]
    errors = hub.a.get(f"/v1/reports/units/{UNIT_A}/errors").body["items"]
    assert any(e["code"] == "content_lost" and e["message_id"] == lost for e in errors)
    late = hub.c.post(f"/v1/messages/{lost}/fetch")
    assert late.status == 409


def test_a_second_run_changes_nothing(hub: World) -> None:
    lost = send(hub, b"mat noi dung", [UNIT_B])
    kept = send(hub, b"con noi dung", [UNIT_C])
    lose_content(hub, lost)
    first = reconcile(hub.deps)
    assert first.deliveries_ended == 1
    before = snapshot(hub, [lost, kept])
    seen = recorded(hub)

    again = reconcile(hub.deps)

    assert (again.content_lost, again.deliveries_ended, again.uploads_abandoned) == (0, 0, 0)
    assert seen == []
    assert snapshot(hub, [lost, kept]) == before


def test_an_upload_the_store_lost_is_abandoned_and_one_it_holds_is_left(hub: World) -> None:
    data = os.urandom(6 * MiB)
    ids = []
    for title in ("upload lost", "upload held"):
        created = hub.a.post("/v1/messages", content_request(data, [UNIT_B], title=title))
        assert created.status == 201, created.body
        ids.append(created.body["message"]["id"])
    single = hub.a.post("/v1/messages", content_request(b"nho", [UNIT_B]))
    msg = hub.deps.table.get(*keys.message(ids[0]))
    hub.deps.objects.abort_multipart(msg["object_key"], msg["upload_id"])
    seen = recorded(hub)

    report = reconcile(hub.deps)

    assert (report.uploads_abandoned, report.still_uploading) == (1, 2)
    assert [(e.type, e.data["destination"], e.data["reason"]) for e in seen] == [
        ("message.expired", UNIT_B, "content_lost")]
    states = [hub.a.get(f"/v1/messages/{i}").body["message"]["state"]
              for i in (*ids, single.body["message"]["id"])]
    assert states == ["abandoned", "requested", "requested"]
    assert reconcile(hub.deps).uploads_abandoned == 0
