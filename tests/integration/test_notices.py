"""Maintenance notices through the API (R-OPS-4): operators publish, list and cancel;
every app and person reads the current ones; every unit online hears each change over
the WebSocket; nobody else may publish or cancel, and bad input writes nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib.domain import keys, notices as rules
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.notice_schemas import NoticeRequest
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import notices, registry
from tests.support.fakes import FakeConnections
from tests.support.hub import UNIT_A, SignedClient, World
from tests.support.ws import WsApp

OPERATOR = "000.00.30.H99"
HOUR, DAY = 3600, 86400


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def body(hub: World, starts: int | None = 2 * HOUR, length: int = 2 * HOUR,
         **extra: Any) -> dict[str, Any]:
    """A notice starting `starts` seconds from the hub's now, lasting `length`."""
    now = hub.deps.clock.now()
    first = now + (starts or 0)
    request: dict[str, Any] = {
        "title": "Bảo trì trục LGSP", "body": "Hệ thống tạm dừng để nâng cấp.\nGửi lại sau.",
        "severity": "maintenance", "services": ["exchange", "realtime"],
        "ends_at": iso(first + length)}
    if starts is not None:
        request["starts_at"] = iso(first)
    return {**request, **extra}


def publish(hub: World, operator: SignedClient, **kw: Any) -> dict[str, Any]:
    answer = operator.post("/v1/admin/notices", body(hub, **kw))
    assert answer.status == 201, answer.body
    return dict(answer.body)


def written(hub: World) -> int:
    return sum(len(hub.deps.table.query(pk).items)
               for pk in (keys.NOTICES, keys.CURRENT_NOTICES))


def connected(hub: World, client: SignedClient) -> WsApp:
    ws = WsApp(hub, client.creds)
    assert ws.connect() == {"statusCode": 200}
    return ws


def test_an_operator_publishes_and_every_app_reads_it(hub: World,
                                                      operator: SignedClient) -> None:
    made = publish(hub, operator)
    now = hub.deps.clock.now()
    assert made["state"] == "upcoming" and made["severity"] == "maintenance"
    assert made["services"] == ["exchange", "realtime"]
    assert made["starts_at"] == iso(now + 2 * HOUR) and made["ends_at"] == iso(now + 4 * HOUR)
    assert made["created_by_unit"] == OPERATOR and made["created_at"] == iso(now)
    assert made["body"].endswith("\nGửi lại sau.")
    seen = hub.b.get("/v1/notices")
    assert seen.status == 200 and seen.body["items"] == [made]
    assert seen.body["server_time"] == iso(now)
    hub.deps.clock.advance(2 * HOUR)
    assert hub.c.get("/v1/notices").body["items"][0]["state"] == "active"
    hub.deps.clock.advance(2 * HOUR)  # ended: gone from the view, kept in the history
    assert hub.c.get("/v1/notices").body["items"] == []
    history = operator.get("/v1/admin/notices").body["items"]
    assert [(n["id"], n["state"]) for n in history] == [(made["id"], "ended")]


def test_starts_at_defaults_to_now_and_the_services_to_all(hub: World,
                                                           operator: SignedClient) -> None:
    request = body(hub, starts=None)
    del request["services"]
    made = operator.post("/v1/admin/notices", request).body
    assert made["state"] == "active" and made["services"] == ["all"]
    assert made["starts_at"] == iso(hub.deps.clock.now())


def test_the_current_view_shows_a_week_ahead_active_ones_first(
        hub: World, operator: SignedClient) -> None:
    later = publish(hub, operator, starts=8 * DAY)
    soon = publish(hub, operator, starts=6 * DAY)
    now = publish(hub, operator, starts=-HOUR, severity="outage")
    assert [n["id"] for n in hub.a.get("/v1/notices").body["items"]] == [now["id"], soon["id"]]
    hub.deps.clock.advance(2 * DAY)  # `later` comes within the week
    assert [n["id"] for n in hub.a.get("/v1/notices").body["items"]] == [soon["id"],
                                                                         later["id"]]


def test_the_history_is_newest_first_a_page_at_a_time(hub: World,
                                                      operator: SignedClient) -> None:
    made = [publish(hub, operator, starts=i * HOUR)["id"] for i in range(1, 4)]
    first = operator.get("/v1/admin/notices?limit=2").body
    assert [n["id"] for n in first["items"]] == made[:0:-1] and first["next_cursor"]
    rest = operator.get(f"/v1/admin/notices?cursor={first['next_cursor']}&limit=2").body
    assert [n["id"] for n in rest["items"]] == [made[0]] and rest["next_cursor"] is None
    assert operator.get("/v1/admin/notices?limit=0").code == "invalid_limit"


def test_cancelling_hides_it_keeps_it_in_the_history_and_twice_is_harmless(
        hub: World, operator: SignedClient) -> None:
    made = publish(hub, operator, starts=-HOUR)
    hub.deps.clock.advance(60)
    answer = operator.post(f"/v1/admin/notices/{made['id']}/cancel")
    assert answer.status == 200 and answer.body["state"] == "cancelled"
    assert answer.body["cancelled_at"] == iso(hub.deps.clock.now())
    assert answer.body["cancelled_by"] == answer.body["created_by"]
    assert hub.a.get("/v1/notices").body["items"] == []
    hub.deps.clock.advance(60)
    again = operator.post(f"/v1/admin/notices/{made['id']}/cancel")
    assert again.status == 200 and again.body == answer.body
    assert operator.get("/v1/admin/notices").body["items"] == [answer.body]


def test_cancelling_an_unknown_or_ended_notice_is_refused(hub: World,
                                                          operator: SignedClient) -> None:
    for bad in ("0123abcd", "not-an-id", "x" * 300):
        answer = operator.post(f"/v1/admin/notices/{bad}/cancel")
        assert (answer.status, answer.code) == (404, "notice_not_found")
    made = publish(hub, operator, starts=HOUR, length=HOUR)
    hub.deps.clock.advance(2 * HOUR)
    answer = operator.post(f"/v1/admin/notices/{made['id']}/cancel")
    assert (answer.status, answer.code) == (409, "notice_ended")
    assert operator.get("/v1/admin/notices").body["items"][0]["state"] == "ended"


@pytest.mark.parametrize(("change", "code"), [
    ({"starts": -2 * HOUR}, "invalid_notice_window"),
    ({"length": 31 * DAY}, "invalid_notice_window"),
    ({"length": 0}, "invalid_notice_window"),
    ({"body": "<b>Khẩn</b>"}, "invalid_notice_text"),
    ({"title": "Hai\ndòng"}, "invalid_notice_text"),
    ({"severity": "critical"}, "validation_failed"),
    ({"services": ["email"]}, "validation_failed"),
    ({"title": "x" * 201}, "validation_failed"),
    ({"ends_at": "2026-12-01 22:00"}, "validation_failed"),
])
def test_bad_notices_get_a_400_and_write_nothing(hub: World, operator: SignedClient,
                                                 change: dict[str, Any], code: str) -> None:
    window = {k: change.pop(k) for k in ("starts", "length") if k in change}
    answer = operator.post("/v1/admin/notices", body(hub, **window, **change))
    assert (answer.status, answer.code) == (400, code), answer.body
    assert answer.body["error"]["message"]
    assert written(hub) == 0


def test_at_most_so_many_notices_wait_at_once(hub: World, operator: SignedClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_OPEN", 2)
    first = publish(hub, operator, starts=300 * DAY)  # far ahead counts too
    publish(hub, operator)
    answer = operator.post("/v1/admin/notices", body(hub))
    assert (answer.status, answer.code) == (409, "too_many_notices")
    operator.post(f"/v1/admin/notices/{first['id']}/cancel")
    publish(hub, operator)


@pytest.mark.parametrize("role", ["app", "unit_admin"])
def test_only_operators_publish_list_and_cancel(hub: World, operator: SignedClient,
                                                role: str) -> None:
    made = publish(hub, operator)
    other = hub.as_(registry.create_app(hub.deps, UNIT_A, role, role=role))
    refused = [other.post("/v1/admin/notices", body(hub)),
               other.get("/v1/admin/notices"),
               other.post(f"/v1/admin/notices/{made['id']}/cancel")]
    assert [(r.status, r.code) for r in refused] == [(403, "forbidden")] * 3
    assert operator.get("/v1/admin/notices").body["items"][0]["state"] == "upcoming"
    assert len(other.get("/v1/notices").body["items"]) == 1


def test_every_route_needs_a_signature(hub: World, operator: SignedClient) -> None:
    for method, path in (("GET", "/v1/notices"), ("GET", "/v1/admin/notices"),
                         ("POST", "/v1/admin/notices")):
        answer = operator.call(method, path, body(hub) if method == "POST" else None,
                               signed=False)
        assert (answer.status, answer.code) == (401, "signature_missing")
    assert written(hub) == 0


def test_every_unit_online_hears_publish_and_cancel(hub: World,
                                                    operator: SignedClient) -> None:
    gateway = hub.deps.connections
    assert isinstance(gateway, FakeConnections)
    b, c, b2, op = (connected(hub, hub.b), connected(hub, hub.c), connected(hub, hub.b),
                    connected(hub, operator))
    made = publish(hub, operator)
    for ws in (b, c, b2, op):
        frames = [f for f in ws.frames if f["type"] == "notice"]
        assert frames == [{"type": "notice", "recipient": "*", "at": hub.deps.clock.now(),
                           "notice": made}]
    assert sum(f["type"] == "notice" for fs in gateway.frames.values() for f in fs) == 4
    hub.deps.clock.advance(30)
    cancelled = operator.post(f"/v1/admin/notices/{made['id']}/cancel").body
    assert [f["notice"]["state"] for f in c.frames if f["type"] == "notice"] == \
        ["upcoming", "cancelled"]
    assert c.last()["notice"] == cancelled
    operator.post(f"/v1/admin/notices/{made['id']}/cancel")  # twice: nobody told again
    assert [f["type"] for f in b.frames].count("notice") == 2
    b.disconnect()
    publish(hub, operator)
    assert [f["type"] for f in b.frames].count("notice") == 2  # gone: not told
    assert [f["type"] for f in b2.frames].count("notice") == 3


def test_the_console_publishes_as_a_person_with_the_operator_role(
        hub: World, operator: SignedClient) -> None:
    person = Caller(unit=OPERATOR, app="console", key_id="", algorithm="bearer", nonce=None,
                    created=hub.deps.clock.now(), person="lan@stttt", roles=("operator",))
    request = NoticeRequest.model_validate(body(hub))
    view = notices.publish(hub.deps, person, request)
    assert view.created_by == "lan@stttt" and view.state == "upcoming"
    assert notices.cancel(hub.deps, person, view.id).cancelled_by == "lan@stttt"
    member = dataclasses.replace(person, roles=("member",))
    with pytest.raises(ForbiddenError):
        notices.publish(hub.deps, member, request)
    with pytest.raises(ForbiddenError):
        notices.list_all(hub.deps, member, limit=10, cursor=None)
    assert [n.id for n in notices.list_all(hub.deps, person, limit=10, cursor=None).items] \
        == [view.id]


def test_a_connection_syncing_later_finds_the_current_notices_in_its_summary(
        hub: World, operator: SignedClient) -> None:
    made = publish(hub, operator, starts=-HOUR)
    publish(hub, operator, starts=30 * DAY)  # not current: not in the summary
    ws = connected(hub, hub.b)
    ws.send({"action": "sync"})
    summary = ws.last()
    assert summary["type"] == "summary"
    expected = {k: v for k, v in made.items() if k != "body"}
    assert summary["notices"] == {"items": [{**expected, "state": "active"}], "more": False}
