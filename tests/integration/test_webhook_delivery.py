"""Delivering webhooks (issue 16, R-PROP-8; docs/webhooks.md, "Delivery"): the outbox
drained into one delivery per matching endpoint, each delivery signed and POSTed through
the outbound poster, retried with back-off until the retry window ends, then a dead
letter; an endpoint failing for the whole window disabled and its unit told; attempts and
dead letters visible to the owner only; redelivery and ping."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.outbound import OutboundFailedError
from chalicelib.domain.ports import HttpAnswer
from chalicelib.domain.webhook_signing import verify
from chalicelib.services import webhook_delivery, webhook_drain, webhook_outbox
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World

URL = "https://hooks.example.gov.vn/lgsp"


@dataclass
class Receiver:
    """An endpoint on the other side of the outbound poster: answers `status`, or fails
    to connect while `down`; keeps what it was sent."""

    status: int = 204
    down: bool = False
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def check(self, url: str) -> object:
        return url

    def post(self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float,
             max_answer: int) -> HttpAnswer:
        if self.down:
            raise OutboundFailedError("connect_failed", "connection refused")
        self.got.append((url, dict(headers), body))
        return HttpAnswer(self.status, b"", 12.4)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.got]


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"webhook_first_retry_seconds": 30, "webhook_retry_seconds": 3600,
            "webhook_disable_after_seconds": 7200}


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hooks(hub: World, receiver: Receiver) -> Iterator[World]:
    deps = replace(hub.deps, outbound=receiver)
    bootstrap.install(deps)
    webhook_outbox.forget()
    yield World(deps, hub.client, hub.a, hub.b, hub.c)
    webhook_outbox.forget()
    bootstrap.install(hub.deps)


def subscribe(client: SignedClient, events: list[str], **more: Any) -> tuple[str, str]:
    made = client.post("/v1/webhooks", {"url": URL, "events": events, **more})
    assert made.status == 201, made.body
    return made.body["webhook"]["id"], made.body["secret"]


def due(world: World) -> list[dict[str, Any]]:
    return [i for shard in range(keys.DUE_SHARDS)
            for i in world.deps.table.query(keys.webhook_due_partition(shard)).items]


def test_each_event_reaches_each_matching_endpoint_signed_once(
        hooks: World, receiver: Receiver) -> None:
    sid, secret = subscribe(hooks.b, ["message.available"])
    subscribe(hooks.b, ["message.confirmed"])  # B hears no outcome: never matches
    message_id = send(hooks, b"cong van", [UNIT_B])
    report = webhook_delivery.run(hooks.deps)
    assert (report.drained, report.delivered) == (1, 1)
    [(url, headers, body)] = receiver.got
    assert url == URL
    event_id = verify([secret], headers, body, now=hooks.deps.clock.now())
    document = json.loads(body)
    assert document["id"] == event_id and document["type"] == "message.available"
    assert document["data"]["message_id"] == message_id
    assert "title" not in document["data"]  # never content nor a title
    assert due(hooks) == [] and webhook_delivery.run(hooks.deps).delivered == 0
    attempts = hooks.b.get(f"/v1/webhooks/{sid}/attempts").body["items"]
    assert [(a["event_id"], a["status"], a["delivered"], a["latency_ms"]) for a in attempts] \
        == [(event_id, 204, True, 12)]


def test_filters_narrow_what_an_endpoint_gets(hooks: World, receiver: Receiver) -> None:
    subscribe(hooks.a, ["*"], counterparts=[UNIT_B])
    message_id = send(hooks, b"cong van", [UNIT_B, UNIT_C])
    for client in (hooks.b, hooks.c):
        data = receive(client, message_id)
        client.post(f"/v1/messages/{message_id}/confirm",
                    {"sha256": hashlib.sha256(data).hexdigest()})
    webhook_delivery.run(hooks.deps)
    told = [(b["type"], b["data"]["destination"]) for b in receiver.bodies()]
    assert sorted(told) == [("message.confirmed", UNIT_B), ("message.fetched", UNIT_B)]


def test_a_failing_endpoint_is_retried_with_back_off_then_gets_everything_once(
        hooks: World, receiver: Receiver) -> None:
    sid, _ = subscribe(hooks.b, ["message.available"])
    receiver.down = True
    first = send(hooks, b"mot", [UNIT_B])
    second = send(hooks, b"hai", [UNIT_B])
    report = webhook_delivery.run(hooks.deps)
    assert (report.failed, report.delivered) == (1, 0)  # one attempt: the other waits
    assert {d["attempts"] for d in due(hooks)} == {0, 1}
    assert all(d["next_at"] > hooks.deps.clock.now() + 14 for d in due(hooks))
    assert webhook_delivery.run(hooks.deps).failed == 0  # not due yet: nothing tried
    hooks.deps.clock.advance(31)
    assert webhook_delivery.run(hooks.deps).failed == 1
    receiver.down = False
    hooks.deps.clock.advance(61)
    assert webhook_delivery.run(hooks.deps).delivered == 2
    ids = [b["data"]["message_id"] for b in receiver.bodies()]
    assert sorted(ids) == sorted([first, second]) and due(hooks) == []
    attempts = hooks.b.get(f"/v1/webhooks/{sid}/attempts").body["items"]
    assert [a["error"] for a in attempts].count("connect_failed") == 2
    view = hooks.b.get(f"/v1/webhooks/{sid}").body
    assert view["failing_since"] is None and view["last_success_at"]


def test_past_the_retry_window_a_delivery_is_a_dead_letter_and_can_be_redelivered(
        hooks: World, receiver: Receiver) -> None:
    sid, _ = subscribe(hooks.b, ["message.available"])
    receiver.status = 500
    message_id = send(hooks, b"cong van", [UNIT_B])
    webhook_delivery.run(hooks.deps)
    for _ in range(12):  # an hour of back-off: 30 s, 60 s, ... then the window's end
        hooks.deps.clock.advance(600)
        webhook_delivery.run(hooks.deps)
    assert due(hooks) == []
    [dead] = hooks.b.get(f"/v1/webhooks/{sid}/dead-letters").body["items"]
    assert (dead["reason"], dead["last_status"], dead["event_type"]) == (
        "gave_up", 500, "message.available")
    assert dead["attempts"] == len(receiver.got) >= 5
    assert hooks.a.get(f"/v1/webhooks/{sid}/dead-letters").status == 404  # not A's
    receiver.status = 200
    again = hooks.b.post(f"/v1/webhooks/{sid}/dead-letters/{dead['event_id']}/redeliver", {})
    assert again.status == 202 and again.body["queued"] == 1
    assert webhook_delivery.run(hooks.deps).delivered == 1
    assert receiver.bodies()[-1]["id"] == dead["event_id"]  # the same event, the same id
    assert receiver.bodies()[-1]["data"]["message_id"] == message_id
    assert hooks.b.get(f"/v1/webhooks/{sid}/dead-letters").body["items"] == []
    missing = hooks.b.post(f"/v1/webhooks/{sid}/dead-letters/{dead['event_id']}/redeliver",
                           {})
    assert missing.status == 404 and missing.body["error"]["code"] == "dead_letter_not_found"


def test_an_endpoint_failing_for_the_whole_window_is_disabled_and_its_unit_told(
        hooks: World, receiver: Receiver) -> None:
    sid, _ = subscribe(hooks.b, ["message.available"])
    other, _ = subscribe(hooks.b, ["webhook.disabled"])
    receiver.down = True
    send(hooks, b"cong van", [UNIT_B])
    webhook_delivery.run(hooks.deps)
    hooks.deps.clock.advance(3600)
    webhook_delivery.run(hooks.deps)  # the last attempt, then a dead letter
    send(hooks, b"cong van 2", [UNIT_B])
    for _ in range(4):
        hooks.deps.clock.advance(1200)
        report = webhook_delivery.run(hooks.deps)
        if report.disabled:
            break
    assert report.disabled == [sid]
    view = hooks.b.get(f"/v1/webhooks/{sid}").body
    assert (view["state"], view["disabled_reason"]) == ("disabled", "failing")
    index = hooks.deps.table.get(*keys.webhook_unit(UNIT_B))
    assert index is not None and index["active"] == 1  # the other endpoint
    receiver.down = False
    hooks.deps.clock.advance(3600)
    webhook_delivery.run(hooks.deps)
    told = [b for b in receiver.bodies() if b["type"] == "webhook.disabled"]
    assert [t["data"]["webhook_id"] for t in told] == [sid]
    errors = hooks.b.get(f"/v1/reports/units/{UNIT_B}/errors?period=day").body
    assert "webhook_disabled" in json.dumps(errors)
    refused = hooks.b.post(f"/v1/webhooks/{sid}/dead-letters/redeliver", {})
    assert refused.status == 409 and refused.body["error"]["code"] == "webhook_disabled"
    enabled = hooks.b.call("PATCH", f"/v1/webhooks/{sid}", {"state": "active"}).body
    assert enabled["disabled_reason"] is None and enabled["failing_since"] is None
    assert hooks.b.post(f"/v1/webhooks/{sid}/dead-letters/redeliver", {}).body["queued"] >= 1
    assert webhook_delivery.run(hooks.deps).delivered >= 1
    assert other


def test_a_removed_endpoint_gets_nothing_more(hooks: World, receiver: Receiver) -> None:
    sid, _ = subscribe(hooks.b, ["*"])
    send(hooks, b"cong van", [UNIT_B])
    webhook_drain.drain(hooks.deps, limit=10)
    assert len(due(hooks)) == 1
    assert hooks.b.call("DELETE", f"/v1/webhooks/{sid}").status == 200
    webhook_delivery.run(hooks.deps)
    assert receiver.got == [] and due(hooks) == []


def test_a_ping_tries_the_endpoint(hooks: World, receiver: Receiver) -> None:
    sid, secret = subscribe(hooks.a, ["message.confirmed"])
    pinged = hooks.a.post(f"/v1/webhooks/{sid}/ping", {})
    assert pinged.status == 202
    webhook_delivery.run(hooks.deps)
    [(_, headers, body)] = receiver.got
    assert verify(secret, headers, body, now=hooks.deps.clock.now()) == pinged.body["event_id"]
    assert json.loads(body)["type"] == "webhook.ping"
    assert hooks.b.post(f"/v1/webhooks/{sid}/ping", {}).status == 404  # not B's endpoint


def test_during_a_rotation_deliveries_carry_both_signatures(
        hooks: World, receiver: Receiver) -> None:
    sid, old = subscribe(hooks.b, ["message.available"])
    new = hooks.b.post(f"/v1/webhooks/{sid}/rotate-secret", {}).body["secret"]
    send(hooks, b"cong van", [UNIT_B])
    webhook_delivery.run(hooks.deps)
    [(_, headers, body)] = receiver.got
    now = hooks.deps.clock.now()
    assert verify(old, headers, body, now=now) == verify(new, headers, body, now=now)
    assert UNIT_A  # the source: its events are not B's
