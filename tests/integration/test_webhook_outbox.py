"""The webhook outbox (issue 16, R-PROP-8; docs/webhooks.md): the events a unit's
endpoint may want are written in the same transaction as the change that causes them,
one item per change, and nothing is written when no unit hearing them has an endpoint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.safe_http import SafePoster
from chalicelib.domain import keys
from chalicelib.services import webhook_outbox
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World


@pytest.fixture
def hooks(hub: World) -> Iterator[World]:
    deps = replace(hub.deps, outbound=SafePoster(resolver=lambda host, port: ["203.162.4.190"]
                                                 if host.endswith(".gov.vn") else []))
    bootstrap.install(deps)
    webhook_outbox.forget()
    yield World(deps, hub.client, hub.a, hub.b, hub.c)
    webhook_outbox.forget()
    bootstrap.install(hub.deps)


def subscribe(client: SignedClient, events: list[str]) -> None:
    made = client.post("/v1/webhooks", {"url": "https://hooks.example.gov.vn/lgsp",
                                        "events": events})
    assert made.status == 201, made.body


def outbox(world: World) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for shard in range(keys.OUTBOX_SHARDS):
        found += world.deps.table.query(keys.webhook_outbox_partition(shard)).items
    return sorted(found, key=lambda i: i["sk"].split("#", 1)[1])


def types(world: World) -> list[tuple[str, str]]:
    return [(e["type"], e["recipient"]) for item in outbox(world) for e in item["events"]]


def test_nothing_is_written_while_no_unit_has_an_endpoint(hooks: World) -> None:
    message_id = send(hooks, b"cong van", [UNIT_B])
    data = receive(hooks.b, message_id)
    hooks.b.post(f"/v1/messages/{message_id}/confirm",
                 {"sha256": hashlib.sha256(data).hexdigest()})
    assert outbox(hooks) == []


def test_the_events_of_subscribed_units_are_written_with_their_change(hooks: World) -> None:
    subscribe(hooks.b, ["*"])  # B: the destination
    message_id = send(hooks, b"cong van", [UNIT_B, UNIT_C])
    assert types(hooks) == [("message.available", UNIT_B)]  # C has no endpoint
    data = receive(hooks.b, message_id)
    hooks.b.post(f"/v1/messages/{message_id}/confirm",
                 {"sha256": hashlib.sha256(data).hexdigest()})
    assert types(hooks) == [("message.available", UNIT_B)]  # A's outcomes: A has none
    subscribe(hooks.a, ["message.confirmed"])
    data = receive(hooks.c, message_id)
    hooks.c.post(f"/v1/messages/{message_id}/confirm",
                 {"sha256": hashlib.sha256(data).hexdigest()})
    assert types(hooks)[1:] == [("message.fetched", UNIT_A), ("message.confirmed", UNIT_A)]
    [item] = [i for i in outbox(hooks) if i["events"][0]["type"] == "message.confirmed"]
    event = item["events"][0]
    assert event["message_id"] == message_id and event["destination"] == UNIT_C
    assert event["event_id"] and "." not in event["event_id"]
    assert "title" not in event and "data" not in event  # never content or titles


def test_a_change_that_did_not_happen_writes_no_event(hooks: World) -> None:
    subscribe(hooks.a, ["*"])
    message_id = send(hooks, b"cong van", [UNIT_B])
    data = receive(hooks.b, message_id)
    digest = hashlib.sha256(data).hexdigest()
    first = hooks.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": digest})
    again = hooks.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": digest})
    assert first.status == again.status == 200
    assert [t for t, _ in types(hooks)].count("message.confirmed") == 1


def test_a_change_that_wrote_events_wakes_the_delivery_worker(hooks: World) -> None:
    woken: list[int] = []
    hooks.deps.kick_webhooks.connect(lambda: woken.append(1))
    webhook_outbox.written()  # nothing pending from before
    send(hooks, b"cong van", [UNIT_B])
    assert woken == []  # no endpoint: nothing written, nobody woken
    subscribe(hooks.b, ["message.available"])
    send(hooks, b"cong van", [UNIT_B])
    assert woken == [1]
