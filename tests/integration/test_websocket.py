"""The WebSocket API (R-COMP-5, R-SEND-1, R-RECV-1, R-PROP-9, R-PROP-12): authenticated
connect, summary on sync, pushes in priority order, presence and its history."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.services import registry
from tests.integration.test_exchange_flow import receive, send
from tests.support.fakes import FakeConnections
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World
from tests.support.ws import WsApp

OPERATOR = "000.00.30.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


def connected(hub: World, creds: Any) -> WsApp:
    ws = WsApp(hub, creds)
    assert ws.connect() == {"statusCode": 200}
    return ws


def gateway(hub: World) -> FakeConnections:
    assert isinstance(hub.deps.connections, FakeConnections)
    return hub.deps.connections


def test_signed_connect_records_the_connection_and_makes_the_unit_online(hub: World) -> None:
    ws = connected(hub, hub.b.creds)
    presence = hub.b.get("/v1/presence").body
    assert presence["state"] == "online" and presence["unit"] == UNIT_B
    assert [c["connection_id"] for c in presence["connections"]] == [ws.connection_id]
    history = hub.b.get("/v1/presence/history").body["items"]
    assert [h["event"] for h in history] == ["online", "connected"]  # newest first
    assert history[1]["connection_id"] == ws.connection_id
    item = hub.deps.table.get(*keys.connection(UNIT_B, ws.connection_id))
    assert item is not None and item["endpoint"] == "https://abc123.execute-api.us-east-1" \
        ".amazonaws.com/api"


@pytest.mark.parametrize(("case", "code"), [
    ("unsigned", "signature_missing"), ("no_nonce", "nonce_required"),
    ("skewed", "clock_skew"), ("wrong_path", "signature_invalid"),
])
def test_refused_handshakes_answer_401_with_a_code_and_record_nothing(
        hub: World, case: str, code: str) -> None:
    ws = WsApp(hub, hub.b.creds)
    headers = {
        "unsigned": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "no_nonce": ws.handshake_headers(nonce=None),
        "skewed": ws.handshake_headers(skew=3600),
        "wrong_path": ws.handshake_headers(query="?other=1"),
    }[case]
    answer = ws.connect(headers=headers)
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["code"] == code
    assert hub.deps.table.get(*keys.connection_owner(ws.connection_id)) is None
    assert hub.b.get("/v1/presence").body["state"] == "never_connected"


def test_a_replayed_handshake_is_refused(hub: World) -> None:
    first, second = WsApp(hub, hub.b.creds), WsApp(hub, hub.b.creds)
    headers = first.handshake_headers()
    assert first.connect(headers=headers)["statusCode"] == 200
    answer = second.connect(headers=headers)
    assert answer["statusCode"] == 401 and json.loads(answer["body"])["error"]["code"] == \
        "replayed"


def test_a_ticket_opens_one_connection_once(hub: World) -> None:
    issued = hub.b.post("/v1/ws/tickets")
    assert issued.status == 201
    ticket = issued.body["ticket"]
    ws = WsApp(hub, hub.b.creds)
    assert ws.connect(headers={}, query={"ticket": ticket}) == {"statusCode": 200}
    again = WsApp(hub, hub.b.creds).connect(headers={}, query={"ticket": ticket})
    assert json.loads(again["body"])["error"]["code"] == "ticket_invalid"
    late = hub.b.post("/v1/ws/tickets").body["ticket"]
    hub.deps.clock.advance(61)  # type: ignore[attr-defined]
    expired = WsApp(hub, hub.b.creds).connect(headers={}, query={"ticket": late})
    assert expired["statusCode"] == 401


def test_a_ticket_dies_with_its_key(hub: World) -> None:
    ticket = hub.b.post("/v1/ws/tickets").body["ticket"]
    assert hub.b.call("DELETE", f"/v1/keys/{hub.b.creds.access_key}").status == 200
    answer = WsApp(hub, hub.b.creds).connect(headers={}, query={"ticket": ticket})
    assert answer["statusCode"] == 401


def test_sync_summarises_the_inbox_in_delivery_order_and_the_outbox(hub: World) -> None:
    thuong = send(hub, b"thuong", [UNIT_B], priority="thuong")
    hoa_toc = send(hub, b"hoa toc", [UNIT_B], priority="hoa_toc")
    khan = send(hub, b"khan", [UNIT_B], priority="khan")
    ws = connected(hub, hub.b.creds)
    ws.send({"action": "sync"})
    summary = ws.last()
    assert summary["type"] == "summary" and summary["unit"] == UNIT_B
    assert [i["id"] for i in summary["inbox"]["items"]] == [hoa_toc, khan, thuong]
    assert summary["heartbeat_seconds"] == 60 and summary["inbox"]["more"] is False
    source = connected(hub, hub.a.creds)
    source.send({"action": "sync"})
    outbox = source.last()["outbox"]["items"]
    assert [i["id"] for i in outbox] == [khan, hoa_toc, thuong]  # newest first
    assert {i["state"] for i in outbox} == {"verified"}


def test_a_connected_destination_is_pushed_arrivals_and_the_source_outcomes(
        hub: World) -> None:
    dest, source = connected(hub, hub.b.creds), connected(hub, hub.a.creds)
    other = connected(hub, hub.c.creds)
    data = b"quyet dinh"
    message_id = send(hub, data, [UNIT_B], priority="thuong_khan")
    pushed = dest.last()
    assert pushed["type"] == "message.available" and pushed["message_id"] == message_id
    assert pushed["priority"] == "thuong_khan" and pushed["source"] == UNIT_A
    receive(hub.b, message_id)
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    assert [t for t in source.types() if t.startswith("message.")] == [
        "message.fetched", "message.confirmed"]
    assert not any(t.startswith("message.") for t in other.types())  # never others' news
    text = json.dumps(dest.frames + source.frames, ensure_ascii=False)
    assert "quyet dinh" not in text and "Công văn" not in text


def test_heartbeats_are_answered_and_keep_the_connection_fresh(hub: World) -> None:
    ws = connected(hub, hub.b.creds)
    hub.deps.clock.advance(100)  # type: ignore[attr-defined]
    ws.send({"action": "heartbeat"})
    assert ws.last()["type"] == "heartbeat"
    item = hub.deps.table.get(*keys.connection(UNIT_B, ws.connection_id))
    assert item is not None and item["last_seen"] == hub.deps.clock.now()


@pytest.mark.parametrize(("frame", "code"), [
    ("not json", "bad_frame"), ('["sync"]', "bad_frame"), ('{"action": "dance"}',
                                                           "unknown_action"),
    (json.dumps({"action": "sync", "pad": "x" * 5000}), "bad_frame"),
])
def test_bad_frames_get_an_error_frame(hub: World, frame: str, code: str) -> None:
    ws = connected(hub, hub.b.creds)
    ws.send(frame)
    assert ws.last() == {"type": "error", "code": code, "message": ws.last()["message"]}


def test_a_frame_on_an_unknown_connection_is_refused_and_closed(hub: World) -> None:
    ws = WsApp(hub, hub.b.creds)
    ws.send({"action": "sync"})
    assert ws.last()["code"] == "not_connected"
    assert ws.connection_id in gateway(hub).closed


def test_the_unit_stays_online_until_its_last_connection_closes(hub: World) -> None:
    operator_unit = registry.create_unit(hub.deps, OPERATOR, "Sở TT&TT")["code"]
    operator = connected(hub, registry.create_app(hub.deps, operator_unit, "console"))
    first, second = connected(hub, hub.b.creds), connected(hub, hub.b.creds)
    assert operator.types().count("unit.online") == 1  # B's (not the operator's own)
    first.disconnect()
    assert hub.b.get("/v1/presence").body["state"] == "online"
    second.disconnect()
    presence = hub.b.get("/v1/presence").body
    assert presence["state"] == "offline" and presence["connections"] == []
    assert operator.last() == {"type": "unit.offline", "recipient": UNIT_B, "unit": UNIT_B,
                               "at": hub.deps.clock.now()}
    events = [h["event"] for h in hub.b.get("/v1/presence/history").body["items"]]
    assert events == ["offline", "disconnected", "disconnected", "connected", "online",
                      "connected"]
    assert first.disconnect() == {"statusCode": 200}  # a repeated disconnect is harmless
    assert len(hub.b.get("/v1/presence/history").body["items"]) == 6


def test_a_gone_connection_is_forgotten_when_a_push_finds_it(hub: World) -> None:
    ws = connected(hub, hub.b.creds)
    gateway(hub).gone.add(ws.connection_id)
    send(hub, b"too early", [UNIT_B])  # still opening: "gone" proves nothing yet
    assert hub.deps.table.get(*keys.connection_owner(ws.connection_id)) is not None
    hub.deps.clock.advance(5)  # type: ignore[attr-defined]
    send(hub, b"to nobody", [UNIT_B])
    assert hub.deps.table.get(*keys.connection_owner(ws.connection_id)) is None
    assert hub.b.get("/v1/presence").body["state"] == "offline"
    assert hub.b.get("/v1/inbox").body["items"]  # the pull list still has it


def test_presence_of_other_units_is_for_operators_only(hub: World) -> None:
    connected(hub, hub.b.creds)
    assert hub.a.get(f"/v1/presence?unit={UNIT_B}").status == 403
    assert hub.a.get(f"/v1/presence/history?unit={UNIT_B}").status == 403
    assert hub.a.get("/v1/presence/online").status == 403
    registry.create_unit(hub.deps, OPERATOR, "Sở TT&TT")
    op = hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))
    assert op.get(f"/v1/presence?unit={UNIT_B}").body["state"] == "online"
    assert [u["unit"] for u in op.get("/v1/presence/online").body["items"]] == [UNIT_B]
    assert op.get(f"/v1/presence?unit={UNIT_C}").body["state"] == "never_connected"
