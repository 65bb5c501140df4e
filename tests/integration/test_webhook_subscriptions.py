"""Webhook subscriptions (issue 16, R-PROP-8; docs/webhooks.md): an app registers its
unit's endpoints (https, public addresses), each with its own secret shown once; a unit
never sees another's; the index the outbox reads counts each unit's active endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.safe_http import SafePoster
from chalicelib.domain import keys
from chalicelib.services import webhooks
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, World

PUBLIC = {"hooks.so-tai-chinh.gov.vn": ["203.162.4.190"], "127.0.0.1": ["127.0.0.1"],
          "169.254.169.254": ["169.254.169.254"], "intranet.local": ["10.0.0.5"]}


@pytest.fixture
def hooks(hub: World) -> Iterator[World]:
    deps = replace(hub.deps, outbound=SafePoster(
        resolver=lambda host, port: PUBLIC.get(host, [])))
    bootstrap.install(deps)
    yield World(deps, hub.client, hub.a, hub.b, hub.c)
    bootstrap.install(hub.deps)


def body(url: str = "https://hooks.so-tai-chinh.gov.vn/lgsp", **extra: object) -> dict:
    return {"url": url, "events": ["message.confirmed", "message.available"], **extra}


def active(world: World, unit: str) -> int:
    item = world.deps.table.get(*keys.webhook_unit(unit))
    return int(item["active"]) if item else 0


def test_an_endpoint_is_registered_with_a_secret_shown_once(hooks: World) -> None:
    made = hooks.a.post("/v1/webhooks", body(priorities=["hoa_toc"]))
    assert made.status == 201, made.body
    assert made.body["secret"].startswith("whsec_")
    hook = made.body["webhook"]
    assert (hook["unit"], hook["state"], hook["priorities"]) == (UNIT_A, "active", ["hoa_toc"])
    listed = hooks.a.get("/v1/webhooks").body["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert active(hooks, UNIT_A) == 1
    stored = hooks.deps.table.get(*keys.webhook(UNIT_A, hook["id"]))
    assert stored is not None and made.body["secret"] not in str(stored)  # sealed
    assert webhooks.signing_secrets(hooks.deps, stored, hooks.deps.clock.now()) == [
        made.body["secret"]]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://hooks.so-tai-chinh.gov.vn/lgsp", "scheme_not_allowed"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://169.254.169.254/latest/meta-data", "link_local"),
    ("https://intranet.local/hook", "private"),
    ("https://nowhere.invalid/hook", "unresolvable"),
    ("https://user:pw@hooks.so-tai-chinh.gov.vn/", "credentials_in_url"),
])
def test_an_endpoint_the_hub_would_not_call_is_refused(hooks: World, url: str,
                                                       reason: str) -> None:
    refused = hooks.a.post("/v1/webhooks", body(url))
    assert (refused.status, refused.code) == (400, "invalid_webhook_url"), refused.body
    assert refused.body["error"]["reason"] == reason
    assert hooks.a.get("/v1/webhooks").body["items"] == [] and active(hooks, UNIT_A) == 0


def test_a_bad_filter_is_refused_naming_its_field(hooks: World) -> None:
    refused = hooks.a.post("/v1/webhooks", body(events=["unit.online"]))
    assert (refused.status, refused.code) == (400, "invalid_webhook_filter")
    assert refused.body["error"]["field"] == "events"


def test_a_unit_never_reaches_another_units_endpoint(hooks: World) -> None:
    hook = hooks.a.post("/v1/webhooks", body()).body["webhook"]
    for reply in (hooks.b.get(f"/v1/webhooks/{hook['id']}"),
                  hooks.b.call("PATCH", f"/v1/webhooks/{hook['id']}", {"state": "disabled"}),
                  hooks.b.call("DELETE", f"/v1/webhooks/{hook['id']}"),
                  hooks.b.post(f"/v1/webhooks/{hook['id']}/rotate-secret")):
        assert (reply.status, reply.code) == (404, "webhook_not_found")
    assert hooks.b.get("/v1/webhooks").body["items"] == []
    assert active(hooks, UNIT_B) == 0 and active(hooks, UNIT_A) == 1


def test_disabling_enabling_and_removing_keep_the_count_the_outbox_reads(
        hooks: World) -> None:
    hook = hooks.a.post("/v1/webhooks", body()).body["webhook"]
    path = f"/v1/webhooks/{hook['id']}"
    assert hooks.a.call("PATCH", path, {"state": "disabled"}).body["state"] == "disabled"
    assert active(hooks, UNIT_A) == 0
    assert hooks.a.call("PATCH", path, {"state": "disabled"}).status == 200  # again: same
    assert active(hooks, UNIT_A) == 0
    changed = hooks.a.call("PATCH", path, {"state": "active", "events": ["*"]}).body
    assert (changed["state"], changed["events"]) == ("active", ["*"])
    assert active(hooks, UNIT_A) == 1
    assert hooks.a.call("DELETE", path).status == 200
    assert active(hooks, UNIT_A) == 0 and hooks.a.get(path).status == 404


def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(hooks: World,
                                                            clock: FakeClock) -> None:
    made = hooks.a.post("/v1/webhooks", body()).body
    sid = made["webhook"]["id"]
    rotated = hooks.a.post(f"/v1/webhooks/{sid}/rotate-secret").body
    assert rotated["secret"] != made["secret"]
    stored = hooks.deps.table.get(*keys.webhook(UNIT_A, sid))
    assert stored is not None
    now = clock.now()
    assert webhooks.signing_secrets(hooks.deps, stored, now) == [rotated["secret"],
                                                                 made["secret"]]
    assert webhooks.signing_secrets(hooks.deps, stored, now + 86401) == [rotated["secret"]]


def test_a_unit_has_at_most_twenty_endpoints(hooks: World) -> None:
    for _ in range(webhooks.MAX_PER_UNIT):
        assert hooks.a.post("/v1/webhooks", body()).status == 201
    refused = hooks.a.post("/v1/webhooks", body())
    assert (refused.status, refused.code) == (409, "too_many_webhooks")
