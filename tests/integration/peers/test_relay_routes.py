"""The relay's routes and use cases on one hub (issue 15, R-PROP-10; docs/federation.md,
"The relay"): hub B hands over a message for a unit of hub A (idempotent; only to A's
units); A hands over a message to B (accepted, refused, or B down and retried); B reports
outcomes that A records as a local destination's, only for what was handed to B. Three
real hubs over HTTP: tests/e2e/test_relay_e2e.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import requests

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.deadlines import day_of
from chalicelib.domain.federation_schemas import PeerChange
from chalicelib.domain.ports import HttpAnswer
from chalicelib.services import peers, registry, sweeper
from chalicelib.services.deps import Deps
from tests.integration.peers.test_peer_auth import from_b
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import upload
from tests.support.fakes import FakeClock
from tests.support.hub import content_request
from tests.support.peers import (
    A_URL,
    B_URL,
    HUB_A_UNIT,
    HUB_B_UNIT,
    OPERATOR_CALLER,
    TwoHubs,
)

HANDOVER = "/v1/federation/messages"
DATA = b"%PDF-1.4 cong van lien tinh"


def handover(origin_id: str = "ab12", to: list[str] | None = None) -> dict[str, Any]:
    return {"origin_id": origin_id, "source": HUB_B_UNIT, "to": to or [HUB_A_UNIT],
            "title": "Công văn của tỉnh B", "priority": "hoa_toc", "data_type": "document",
            "protocol": "file", "size": len(DATA), "sha256": hashlib.sha256(DATA).hexdigest(),
            "content_type": "application/pdf", "file_name": "cv.pdf",
            "created_at": 1_795_000_000 - 60,
            "confirm_by": 1_795_000_000 + 86400,
            "content": {"url": f"{B_URL}/store/x?sig=1", "headers": {},
                        "expires_at": 1_795_000_000 + 86400},
            "hops": [{"hub": B_URL, "at": 1_795_000_000, "event": "relayed"}]}


def post(pair: TwoHubs, path: str, body: dict[str, Any], nonce: str) -> Any:
    return from_b(pair, "POST", path, json.dumps(body).encode(), nonce=nonce)


def test_a_peers_message_lands_in_our_units_inbox_once_with_its_facts(pair: TwoHubs) -> None:
    a_unit = pair.world.as_(registry.create_app(pair.a, HUB_A_UNIT, "app"))
    first = post(pair, HANDOVER, handover(), "a" * 22)
    assert first.status == 201, first.body
    again = post(pair, HANDOVER, handover(), "b" * 22)  # the answer was lost: once more
    assert again.status == 201 and again.body["id"] == first.body["id"]
    [item] = a_unit.get("/v1/inbox").body["items"]
    assert (item["id"], item["source"], item["priority"]) == (first.body["id"], HUB_B_UNIT,
                                                              "hoa_toc")
    grant = a_unit.post(f"/v1/messages/{item['id']}/fetch").body
    assert grant["url"] == f"{B_URL}/store/x?sig=1"  # straight from the origin's store
    assert a_unit.get("/v1/outbox").body["items"] == []


def test_a_peer_delivers_only_to_our_active_units_and_writes_nothing_else(
        pair: TwoHubs) -> None:
    refused = post(pair, HANDOVER, handover(to=[HUB_A_UNIT, "000.00.09.H02"]), "c" * 22)
    assert (refused.status, refused.code) == (404, "unit_not_found")
    assert refused.body["error"]["unit"] == "000.00.09.H02"
    mine = post(pair, HANDOVER, handover(to=[HUB_B_UNIT]), "d" * 22)  # B's own unit
    assert (mine.status, mine.code) == (404, "unit_not_found")
    assert pair.a.table.query(keys.inbox_partition(HUB_A_UNIT)).items == []


def test_a_deadline_past_or_beyond_what_a_source_may_ask_is_refused_not_a_failure(
        pair: TwoHubs) -> None:
    for n, confirm_by in enumerate((1_795_000_000 - 1, 1_795_000_000 + 91 * 86400)):
        body = {**handover(origin_id=f"c{n}"), "confirm_by": confirm_by}
        answer = post(pair, HANDOVER, body, f"{n}" * 22)
        assert (answer.status, answer.code) == (400, "validation_failed"), answer.body
        assert answer.body["error"]["field"] == "confirm_by"
    assert pair.a.table.query(keys.inbox_partition(HUB_A_UNIT)).items == []


def test_an_app_cannot_hand_over_a_message(pair: TwoHubs) -> None:
    answer = pair.operator.call("POST", HANDOVER, handover())
    assert (answer.status, answer.code) == (401, "signature_invalid")


def _send_to_b(pair: TwoHubs) -> str:
    sender = pair.world.as_(registry.create_app(pair.a, HUB_A_UNIT, "app"))
    created = sender.post("/v1/messages", content_request(DATA, [HUB_B_UNIT]))
    assert created.status == 201, created.body
    message_id = str(created.body["message"]["id"])
    done = sender.post(f"/v1/messages/{message_id}/complete",
                       {"parts": upload(created.body["upload"], DATA)})
    assert done.status == 200 and done.body["message"]["state"] == "verified"
    return message_id


def _b_accepts(pair: TwoHubs) -> None:
    pair.net.answers[f"{B_URL}{HANDOVER}"] = HttpAnswer(
        201, json.dumps({"id": "b1", "state": "verified"}).encode(), 2.0)


def test_a_hand_over_accepted_then_reports_close_the_delivery_and_the_message(
        pair: TwoHubs) -> None:
    _b_accepts(pair)
    message_id = _send_to_b(pair)
    seen = recorded(pair.world)
    sweeper.sweep(pair.a)
    [sent] = pair.net.sent_to(f"{B_URL}{HANDOVER}")
    body = json.loads(sent.body or b"{}")
    assert body["to"] == [HUB_B_UNIT] and body["origin_id"] == message_id
    assert body["content"]["url"] and "data" not in body
    assert sent.headers.get("lgsp-hub") == A_URL and "signature" in {
        k.lower() for k in sent.headers}
    events = f"{HANDOVER}/{message_id}/events"
    fetched = post(pair, events, {"unit": HUB_B_UNIT, "event": "fetched", "at": 5,
                                  "hops": [{"hub": B_URL, "at": 5}]}, "e" * 22)
    assert fetched.status == 200 and fetched.body["recorded"] is True
    confirmed = post(pair, events, {"unit": HUB_B_UNIT, "event": "confirmed", "at": 6,
                                    "hops": [{"hub": B_URL, "at": 6}]}, "f" * 22)
    assert confirmed.body["recorded"] is True
    repeated = post(pair, events, {"unit": HUB_B_UNIT, "event": "confirmed", "at": 6},
                    "g" * 22)
    assert (repeated.status, repeated.body["recorded"]) == (200, False)
    msg = pair.a.table.get(*keys.message(message_id))
    assert msg is not None and msg["state"] == "completed"
    assert pair.a.objects.head(msg["object_key"]) is None  # every destination done
    told = [(e.type, e.data.get("destination")) for e in seen if e.recipient == HUB_A_UNIT]
    assert ("message.confirmed", HUB_B_UNIT) in told and ("message.fetched", HUB_B_UNIT) in told
    trace = pair.a.table.query(keys.message_partition(message_id), prefix=keys.TRACE).items
    line = next(t for t in trace if t["event"] == "confirmed")
    assert line["unit"] == HUB_B_UNIT and line["detail"].startswith("via hub-b")


def test_a_report_is_taken_only_for_a_unit_handed_to_that_peer(pair: TwoHubs) -> None:
    _b_accepts(pair)
    message_id = _send_to_b(pair)
    sweeper.sweep(pair.a)
    other = post(pair, f"{HANDOVER}/{message_id}/events",
                 {"unit": HUB_A_UNIT, "event": "confirmed", "at": 6}, "h" * 22)
    assert (other.status, other.code) == (404, "message_not_found")
    unknown = post(pair, f"{HANDOVER}/{'f' * 32}/events",
                   {"unit": HUB_B_UNIT, "event": "confirmed", "at": 6}, "i" * 22)
    assert (unknown.status, unknown.code) == (404, "message_not_found")


def test_a_peer_refusing_the_hand_over_ends_its_deliveries_with_its_reason(
        pair: TwoHubs) -> None:
    pair.net.answers[f"{B_URL}{HANDOVER}"] = HttpAnswer(
        404, json.dumps({"error": {"code": "unit_not_found", "message": "?"}}).encode(), 1.0)
    message_id = _send_to_b(pair)
    seen = recorded(pair.world)
    sweeper.sweep(pair.a)
    delivery = pair.a.table.get(*keys.delivery(message_id, HUB_B_UNIT))
    assert delivery is not None and delivery["state"] == "expired"
    assert delivery["reason"] == "refused_by_peer:unit_not_found"
    assert [e.type for e in seen if e.recipient == HUB_A_UNIT] == ["message.expired"]
    msg = pair.a.table.get(*keys.message(message_id))
    assert msg is not None and msg["state"] == "completed"


def test_a_peer_that_is_down_is_tried_again_later_and_the_source_told_once(
        pair: TwoHubs, clock: FakeClock) -> None:
    pair.net.down.add(B_URL)
    message_id = _send_to_b(pair)
    seen = recorded(pair.world)
    sweeper.sweep(pair.a)
    sweeper.sweep(pair.a)  # not due again yet: no second attempt
    assert len(pair.net.sent_to(f"{B_URL}{HANDOVER}")) == 1
    waiting = [e for e in seen if e.type == "message.waiting"]
    assert [(e.data["destination"], e.data["reason"]) for e in waiting] == [
        (HUB_B_UNIT, "peer_unreachable")]
    clock.advance(40)
    sweeper.sweep(pair.a)
    assert len(pair.net.sent_to(f"{B_URL}{HANDOVER}")) == 2
    assert len([e for e in seen if e.type == "message.waiting"]) == 1  # told once
    pair.net.down.clear()
    _b_accepts(pair)
    clock.advance(120)
    sweeper.sweep(pair.a)
    [item] = pair.a.table.query(keys.message_partition(message_id), prefix=keys.RELAYS).items
    assert (item["state"], item["attempts"]) == ("accepted", 2)


class FakeDownloads:
    """The origin's store as the copy reads it: URL -> bytes, read in small chunks."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.got: list[str] = []

    def get(self, url: str, headers: dict[str, str], *, chunk_size: int = 1 << 20
            ) -> Iterator[bytes]:
        self.got.append(url)
        if url not in self.objects:
            raise OSError("the store answered 403")
        data = self.objects[url]
        for i in range(0, len(data), 7):
            yield data[i:i + 7]


def _copy_mode(pair: TwoHubs, objects: dict[str, bytes]) -> tuple[Deps, FakeDownloads]:
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(content="copy"))
    fake = FakeDownloads(objects)
    deps = replace(pair.a, downloads=fake)
    bootstrap.install(deps)
    return deps, fake


def test_copy_mode_streams_the_content_into_our_store_then_delivers_it(
        pair: TwoHubs, clock: FakeClock) -> None:
    deps, fake = _copy_mode(pair, {f"{B_URL}/store/x?sig=1": DATA})
    a_unit = pair.world.as_(registry.create_app(deps, HUB_A_UNIT, "app"))
    accepted = post(pair, HANDOVER, handover(), "j" * 22)
    assert (accepted.status, accepted.body["state"]) == (201, "requested")
    assert a_unit.get("/v1/inbox").body["items"] == []  # not before it is ours
    sweeper.sweep(deps)
    assert fake.got == [f"{B_URL}/store/x?sig=1"]
    [item] = a_unit.get("/v1/inbox").body["items"]
    grant = a_unit.post(f"/v1/messages/{item['id']}/fetch").body
    assert not grant["url"].startswith(B_URL)  # our own store now
    assert requests.get(grant["url"], headers=grant["headers"], timeout=30).content == DATA
    done = a_unit.post(f"/v1/messages/{item['id']}/confirm",
                       {"sha256": hashlib.sha256(DATA).hexdigest()})
    assert done.status == 200, done.body
    msg = deps.table.get(*keys.message(item["id"]))
    assert msg is not None and msg["state"] == "completed"
    assert deps.objects.head(msg["object_key"]) is None  # our copy deleted when done
    reports = deps.table.query(keys.message_partition(item["id"]), prefix=keys.REPORTS).items
    assert {r["event"] for r in reports} == {"fetched", "confirmed"}  # for B, as any
    dues = deps.table.query(keys.due_partition(day_of(clock.now()))).items
    # one due item each, though written in one second: neither overwrites the other
    assert len([d for d in dues if d["work"] == "report"]) == 2


def test_a_copy_that_does_not_match_is_deleted_and_tried_again(
        pair: TwoHubs, clock: FakeClock) -> None:
    deps, fake = _copy_mode(pair, {f"{B_URL}/store/x?sig=1": DATA + b"!"})
    accepted = post(pair, HANDOVER, handover(), "k" * 22)
    sweeper.sweep(deps)
    msg = deps.table.get(*keys.message(accepted.body["id"]))
    assert msg is not None and msg["state"] == "requested"
    assert (msg["copy_attempts"], msg["copy_error"]) == (1, "copy_mismatch")
    assert deps.objects.head(msg["object_key"]) is None
    fake.objects[f"{B_URL}/store/x?sig=1"] = DATA  # the origin's store answers right now
    clock.advance(40)
    sweeper.sweep(deps)
    msg = deps.table.get(*keys.message(accepted.body["id"]))
    assert msg is not None and msg["state"] == "verified" and msg["copied"] is True


def test_a_hand_over_we_cannot_sign_waits_with_the_reason_for_the_operator(
        pair: TwoHubs) -> None:
    """Without LGSP_PUBLIC_URL a peer could not recognise us: nothing is sent, the
    hand-over stays pending with why, and the source is told its destination waits."""
    message_id = _send_to_b(pair)
    unset = replace(pair.a, settings=pair.a.settings.model_copy(update={"public_url": None}))
    bootstrap.install(unset)
    seen = recorded(pair.world)
    sweeper.sweep(unset)
    assert pair.net.sent_to(f"{B_URL}{HANDOVER}") == []
    [item] = unset.table.query(keys.message_partition(message_id), prefix=keys.RELAYS).items
    assert (item["state"], item["last_error"], item["attempts"]) == (
        "pending", "hub_url_unset", 1)
    assert [e.data["reason"] for e in seen if e.type == "message.waiting"] == [
        "hub_url_unset"]
