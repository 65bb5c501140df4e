"""`lgsp webhooks …` against the real hub (the chalice app behind a loopback bridge, the
outbound poster a recording receiver): the shapes the CLI reads are the hub's own; an
endpoint added, pinged, its attempts read; a failed delivery redelivered from the dead
letters (issue 16, R-PROP-8; docs/webhooks.md)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.domain.webhook_signing import verify
from chalicelib.services import webhook_delivery, webhook_outbox
from lgsp_client.cli import main
from tests.integration.test_webhook_delivery import Receiver
from tests.support.cli_hub import as_app, bridged_hub
from tests.support.hub import World

URL = "https://hooks.example.gov.vn/lgsp"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        receiver: Receiver) -> Iterator[World]:
    with bridged_hub(monkeypatch, tmp_path, "lgsp-webhooks-cli",
                     webhook_retry_seconds=5, webhook_disable_after_seconds=5
                     ) as (world_, _):
        deps = replace(world_.deps, outbound=receiver)
        bootstrap.install(deps)
        webhook_outbox.forget()
        as_app(monkeypatch, world_.b)
        yield World(deps, world_.client, world_.a, world_.b, world_.c)
        webhook_outbox.forget()


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_add_ping_and_read_the_attempts(hub: World, receiver: Receiver) -> None:
    code, out = lgsp("webhooks", "add", URL, "--events", "message.available", "--json")
    assert code == 0, out
    made = json.loads(out)
    sid, secret = made["webhook"]["id"], made["secret"]
    code, out = lgsp("webhooks", "list", "--json")
    assert code == 0 and [w["id"] for w in json.loads(out)["items"]] == [sid]
    code, out = lgsp("webhooks", "ping", sid, "--json")
    assert code == 0, out
    event_id = json.loads(out)["event_id"]
    assert webhook_delivery.run(hub.deps).delivered == 1
    [(_, headers, body)] = receiver.got
    assert verify(secret, headers, body, now=hub.deps.clock.now()) == event_id
    code, out = lgsp("webhooks", "attempts", sid)
    assert code == 0 and event_id in out and "204" in out


def test_a_dead_letter_is_listed_and_redelivered(hub: World, receiver: Receiver) -> None:
    code, out = lgsp("webhooks", "add", URL, "--events", "message.available", "--json")
    sid = json.loads(out)["webhook"]["id"]
    receiver.status = 503
    lgsp("webhooks", "ping", sid)
    webhook_delivery.run(hub.deps)
    hub.deps.clock.advance(10)  # past the 5 s window
    webhook_delivery.run(hub.deps)
    code, out = lgsp("webhooks", "dead-letters", sid, "--json")
    assert code == 0, out
    [letter] = json.loads(out)["items"]
    assert (letter["reason"], letter["last_status"]) == ("gave_up", 503)
    code, out = lgsp("webhooks", "show", sid, "--json")
    assert json.loads(out)["state"] == "disabled"  # failed for the whole window
    assert lgsp("webhooks", "update", sid, "--enable")[0] == 0
    receiver.status = 200
    code, out = lgsp("webhooks", "redeliver", sid, "--all")
    assert code == 0, out
    assert webhook_delivery.run(hub.deps).delivered == 1
    assert json.loads(receiver.got[-1][2])["id"] == letter["event_id"]
