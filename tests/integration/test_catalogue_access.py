"""Access to the catalogue's services through the app (R-JOIN-3, R-COMP-3): publish →
approve → search → request → grant → brokered session works; revoke → refused at once;
each side sees only the requests that involve it."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services import registry
from tests.integration.test_catalogue import REF, approve, publish, refs
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World

UNIT_D = "000.00.04.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": UNIT_C}


@pytest.fixture
def listed(hub: World) -> World:
    publish(hub)
    approve(hub)
    return hub


def ask(hub: World, **extra: Any) -> Any:
    return hub.a.post("/v1/catalogue/requests", {
        "service": REF, "app": hub.a.creds.app, "purpose": "Giải quyết thủ tục đất đai",
        **extra})


def session(hub: World) -> Any:
    return hub.a.post("/v1/auth/sessions", {"service": REF})


def introspect(hub: World, token: str) -> bool:
    res = hub.b.post("/v1/auth/introspect", {"token": token})
    assert res.status == 200, res.body
    return bool(res.body["active"])


def test_request_grant_brokered_call_then_revoke(listed: World) -> None:  # R-JOIN-3
    hub = listed
    assert refs(hub.a.get("/v1/catalogue/services?q=thua%20dat")) == [REF]
    asked = ask(hub)
    assert asked.status == 201 and asked.body["state"] == "pending", asked.body
    assert asked.body["scopes"] == ["read"] and asked.body["consumer_unit"] == UNIT_A
    assert session(hub).code == "access_denied"  # nothing granted yet
    rid = asked.body["id"]
    assert hub.a.post(f"/v1/catalogue/requests/{rid}/grant").code == "forbidden"
    granted = hub.b.post(f"/v1/catalogue/requests/{rid}/grant")
    assert granted.status == 200 and granted.body["state"] == "granted", granted.body
    assert granted.body["grant_id"].startswith("gr-")
    opened = session(hub)
    assert opened.status == 201, opened.body
    token = opened.body["token"]
    assert opened.body["scope"] == "read" and introspect(hub, token)
    revoked = hub.b.post(f"/v1/catalogue/requests/{rid}/revoke")
    assert revoked.status == 200 and revoked.body["state"] == "revoked"
    assert not introspect(hub, token)  # at once, before the token expires
    assert session(hub).code == "access_denied"
    assert hub.b.post(f"/v1/catalogue/requests/{rid}/revoke").code == "access_state_conflict"
    again = ask(hub)  # a revoked request frees the app's place
    assert again.status == 201, again.body


def test_both_sides_list_theirs_and_no_other_unit_sees_them(listed: World) -> None:
    hub = listed
    rid = ask(hub).body["id"]
    hub.b.post(f"/v1/catalogue/requests/{rid}/grant")
    provider = hub.b.get("/v1/catalogue/grants?role=provider")
    consumer = hub.a.get("/v1/catalogue/grants?role=consumer")
    assert [i["id"] for i in provider.body["items"]] == [rid]
    assert [i["id"] for i in consumer.body["items"]] == [rid]
    assert consumer.body["items"][0]["state"] == "granted"
    assert hub.a.get("/v1/catalogue/grants?role=provider").body["items"] == []
    registry.create_unit(hub.deps, UNIT_D, "Đơn vị D")
    other = SignedClient(hub.client, hub.deps, registry.create_app(hub.deps, UNIT_D, "app"))
    for role in ("provider", "consumer"):
        seen = other.get(f"/v1/catalogue/grants?role={role}")
        assert seen.status == 200 and seen.body["items"] == []
    assert other.get(f"/v1/catalogue/requests/{rid}").code == "access_request_not_found"
    assert other.post(f"/v1/catalogue/requests/{rid}/revoke").code == \
        "access_request_not_found"
    assert hub.a.get(f"/v1/catalogue/requests/{rid}").status == 200
    assert hub.a.get("/v1/catalogue/grants?role=both").code == "invalid_request"


def test_refuse_with_reason_and_operator_revokes(listed: World) -> None:
    hub = listed
    rid = ask(hub).body["id"]
    assert hub.b.post(f"/v1/catalogue/requests/{rid}/refuse", {}).status == 400
    refused = hub.b.post(f"/v1/catalogue/requests/{rid}/refuse", {"reason": "Chưa đủ căn cứ"})
    assert refused.body["state"] == "refused" and refused.body["reason"] == "Chưa đủ căn cứ"
    assert hub.b.post(f"/v1/catalogue/requests/{rid}/grant").code == "access_state_conflict"
    rid2 = ask(hub).body["id"]
    assert hub.c.post(f"/v1/catalogue/requests/{rid2}/grant").status == 200  # operator
    token = session(hub).body["token"]
    assert hub.c.post(f"/v1/catalogue/requests/{rid2}/revoke").status == 200
    assert not introspect(hub, token)


def test_bad_requests_write_nothing(listed: World) -> None:
    hub = listed
    assert ask(hub, scopes=["admin"]).code == "unknown_scope"
    assert ask(hub, app=hub.b.creds.app).code == "unknown_app"  # not the caller's app
    assert hub.a.post("/v1/catalogue/requests", {
        "service": f"{UNIT_B}/nothing", "app": hub.a.creds.app, "purpose": "x"}).code == \
        "catalogue_entry_not_found"
    assert hub.a.get("/v1/catalogue/grants?role=consumer").body["items"] == []
    assert ask(hub).status == 201
    assert ask(hub).code == "access_request_exists"


def test_catalogue_changes_are_audited(listed: World) -> None:
    hub = listed
    ask(hub)
    lines = hub.c.get("/v1/admin/audit").body["items"]
    actions = {line["action"] for line in lines}
    assert {"POST /v1/catalogue/services", "POST /v1/catalogue/services/{unit}/{service_id}"
            "/approve", "POST /v1/catalogue/requests"} <= actions, actions
    assert UNIT_B
