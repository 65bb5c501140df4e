"""The exchange end to end on moto: R-PROP-1/2/3, R-SEND-1..5, R-RECV-1..3."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import requests

from chalicelib.domain import keys
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, MiB, SignedClient, World, content_request
from tests.support.stats import day_counters


def upload(plan: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """PUT each planned request straight to the store; return the parts' ETags."""
    parts = []
    for req in plan["requests"]:
        chunk = data[req["offset"]:req["offset"] + req["size"]]
        res = requests.put(req["url"], data=chunk, headers=req["headers"], timeout=30)
        assert res.status_code == 200, res.text
        if req["part_number"] is not None:
            parts.append({"part_number": req["part_number"], "etag": res.headers["ETag"]})
    return parts


def send(hub: World, data: bytes, to: list[str], sender: SignedClient | None = None,
         **extra: Any) -> str:
    sender = sender or hub.a
    created = sender.post("/v1/messages", content_request(data, to, **extra))
    assert created.status == 201, created.body
    parts = upload(created.body["upload"], data)
    done = sender.post(f"/v1/messages/{created.body['message']['id']}/complete",
                       {"parts": parts})
    assert done.status == 200, done.body
    assert done.body["message"]["state"] == "verified"
    return str(created.body["message"]["id"])


def receive(client: SignedClient, message_id: str) -> bytes:
    grant = client.post(f"/v1/messages/{message_id}/fetch")
    assert grant.status == 200, grant.body
    res = requests.get(grant.body["url"], headers=grant.body["headers"], timeout=30)
    assert res.status_code == 200
    return res.content


def stats(hub: World, unit: str) -> dict[str, Any]:
    return day_counters(hub.deps, unit)


def test_single_put_exchange_from_request_to_deletion(hub: World) -> None:
    data = os.urandom(200_000)
    message_id = send(hub, data, [UNIT_B])
    inbox = hub.b.get("/v1/inbox")
    assert [i["id"] for i in inbox.body["items"]] == [message_id]
    assert inbox.body["items"][0]["title"] == "Công văn số 12/STC"
    body = receive(hub.b, message_id)
    assert body == data
    confirmed = hub.b.post(f"/v1/messages/{message_id}/confirm",
                           {"sha256": hashlib.sha256(body).hexdigest()})
    assert confirmed.status == 200 and confirmed.body["state"] == "confirmed"
    status = hub.a.get(f"/v1/messages/{message_id}").body
    assert status["message"]["state"] == "completed"
    assert status["message"]["content_deleted_at"] is not None
    assert [e["event"] for e in status["trace"]] == [
        "requested", "verified", "fetched", "confirmed", "content_deleted"]
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is None
    assert hub.b.get("/v1/inbox").body["items"] == []
    assert stats(hub, UNIT_A)["sent"] == 1 and stats(hub, UNIT_A)["bytes_sent"] == len(data)
    assert stats(hub, UNIT_B)["received"] == 1
    assert hub.a.get("/v1/outbox").body["items"][0]["state"] == "completed"


def test_multipart_to_two_destinations_one_confirms_one_rejects(hub: World) -> None:
    data = os.urandom(11 * MiB)
    message_id = send(hub, data, [UNIT_B, UNIT_C])
    msg = hub.deps.table.get(*keys.message(message_id))
    assert msg is not None and msg["upload_mode"] == "multipart" and len(msg["parts"]) == 3
    assert receive(hub.b, message_id) == data
    hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": hashlib.sha256(data).hexdigest()})
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is not None
    rejected = hub.c.post(f"/v1/messages/{message_id}/reject", {"reason": "Sai nơi nhận"})
    assert rejected.body["state"] == "rejected" and rejected.body["reason"] == "Sai nơi nhận"
    status = hub.a.get(f"/v1/messages/{message_id}").body
    assert status["message"]["state"] == "completed"
    assert {d["unit"]: d["state"] for d in status["deliveries"]} == {
        UNIT_B: "confirmed", UNIT_C: "rejected"}
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is None
    assert stats(hub, UNIT_C)["rejected"] == 1


def test_a_destination_sees_only_its_own_delivery(hub: World) -> None:
    message_id = send(hub, b"x" * 1000, [UNIT_B, UNIT_C])
    seen = hub.b.get(f"/v1/messages/{message_id}").body
    assert [d["unit"] for d in seen["deliveries"]] == [UNIT_B]


def test_inbox_is_ordered_by_priority_then_age(hub: World) -> None:
    ids = {}
    for priority in ("thuong", "hoa_toc", "khan", "hoa_toc"):
        hub.deps.clock.advance(10)  # type: ignore[attr-defined]
        ids.setdefault(priority, []).append(
            send(hub, os.urandom(100), [UNIT_B], priority=priority))
    listed = [i["id"] for i in hub.b.get("/v1/inbox").body["items"]]
    assert listed == ids["hoa_toc"] + ids["khan"] + ids["thuong"]
    page1 = hub.b.get("/v1/inbox?limit=3").body
    page2 = hub.b.get(f"/v1/inbox?cursor={page1['next_cursor']}&limit=3").body
    assert [i["id"] for i in page1["items"] + page2["items"]] == listed


def test_object_created_event_verifies_without_complete(hub: World) -> None:
    from app import app

    data = os.urandom(5000)
    created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
    upload(created.body["upload"], data)
    message_id = created.body["message"]["id"]
    event = hub.client.events.generate_s3_event(
        bucket="lgsp-exchange-test", key=f"exchange/{message_id}/content")
    result = hub.client.lambda_.invoke("on_object_created", event)
    assert result.payload == {"processed": [f"{message_id}:verified"]}
    assert app is not None
    assert [i["id"] for i in hub.b.get("/v1/inbox").body["items"]] == [message_id]
    again = hub.client.lambda_.invoke("on_object_created", event)
    assert again.payload == {"processed": [f"{message_id}:verified"]}
    assert len(hub.b.get("/v1/inbox").body["items"]) == 1


def test_idempotent_create_returns_the_same_message(hub: World) -> None:
    body = content_request(b"hello", [UNIT_B])
    first = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": "send-42"})
    again = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": "send-42"})
    assert first.status == 201 and again.status == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.body["message"]["id"] == first.body["message"]["id"]
    assert len(hub.a.get("/v1/outbox").body["items"]) == 1
    other = hub.a.post("/v1/messages", {**body, "title": "khác"},
                       headers={"Idempotency-Key": "send-42"})
    assert other.status == 409 and other.code == "idempotency_conflict"
    # Another app's identical key is its own namespace.
    elsewhere = hub.b.post("/v1/messages", content_request(b"hello", [UNIT_A]),
                           headers={"Idempotency-Key": "send-42"})
    assert elsewhere.status == 201


def test_confirm_twice_is_harmless(hub: World) -> None:
    data = b"twice"
    message_id = send(hub, data, [UNIT_B, UNIT_C])
    receive(hub.b, message_id)
    for _ in range(2):
        res = hub.b.post(f"/v1/messages/{message_id}/confirm",
                         {"sha256": hashlib.sha256(data).hexdigest()})
        assert res.status == 200 and res.body["state"] == "confirmed"
    left = hub.deps.table.get(*keys.open_count(message_id, 0))
    assert left is not None and left["remaining"] == 1  # UNIT_C's delivery is still open
    assert stats(hub, UNIT_B)["received"] == 1


def test_an_expired_idempotency_key_starts_a_new_message(hub: World) -> None:
    body = content_request(b"daily report", [UNIT_B])
    first = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": "daily"})
    hub.deps.clock.advance(hub.deps.settings.idempotency_seconds + 1)  # type: ignore[attr-defined]
    later = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": "daily"})
    assert later.status == 201
    assert later.body["message"]["id"] != first.body["message"]["id"]
