"""edXML messages through the hub (issue 15, R-SEND-4; docs/edxml.md): the stored package
is read by the hub before anyone receives it; a package that breaks the rules is refused
and its content deleted; the message takes title, priority and deadline from the header;
Priority 4 is delivered at its set time, not before; a recall must reach the original's
destinations."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.domain.edxml.dates import format_time
from chalicelib.services import registry, sweeper
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, upload
from tests.support.fakes import FakeClock
from tests.support.hub import SignedClient, World, content_request
from tests.unit.edxml_samples import DECISION, RECALL

PROVINCE, FINANCE, HEALTH = "000.00.00.H30", "000.00.01.H30", "000.00.02.H30"


class Units:
    def __init__(self, hub: World) -> None:
        self.hub = hub
        for code, name in ((PROVINCE, "UBND tỉnh"), (FINANCE, "Sở Tài chính"),
                           (HEALTH, "Sở Y tế")):
            registry.create_unit(hub.deps, code, name)
        self.province, self.finance, self.health = (
            hub.as_(registry.create_app(hub.deps, code, "app"))
            for code in (PROVINCE, FINANCE, HEALTH))


@pytest.fixture
def units(hub: World) -> Units:
    return Units(hub)


def send_package(sender: SignedClient, data: bytes, to: list[str]) -> dict[str, Any]:
    created = sender.post("/v1/messages", content_request(data, to, protocol="edxml",
                                                          title="(edXML)", priority="thuong"))
    assert created.status == 201, created.body
    message_id = created.body["message"]["id"]
    done = sender.post(f"/v1/messages/{message_id}/complete",
                       {"parts": upload(created.body["upload"], data)})
    assert done.status == 200, done.body
    return dict(done.body["message"])


def inbox_ids(client: SignedClient) -> list[str]:
    return [i["id"] for i in client.get("/v1/inbox").body["items"]]


def test_a_valid_package_waits_for_the_check_then_is_delivered_with_its_header(
        hub: World, units: Units) -> None:
    data = DECISION.read_bytes()
    sent = send_package(units.province, data, [FINANCE, HEALTH])
    assert sent["state"] == "checking"
    assert inbox_ids(units.finance) == []  # nobody sees a package the hub has not read
    report = sweeper.sweep(hub.deps)
    assert report.as_dict()
    view = units.province.get(f"/v1/messages/{sent['id']}").body
    msg = view["message"]
    assert msg["state"] == "verified"
    assert msg["title"].startswith("Về việc phân bổ")  # the header's Subject, not "(edXML)"
    assert msg["priority"] == "thuong"  # Priority 0
    assert msg["confirm_by"].startswith("2026-12-31")  # the header's DueDate
    assert msg["edxml"]["document_id"] == "000.00.00.H30,2026/11/30,1234/QĐ-UBND"
    assert msg["edxml"]["promulgation_date"] == "2026-11-30"
    assert [e["event"] for e in view["trace"]][:3] == ["requested", "stored", "verified"]
    assert inbox_ids(units.finance) == [sent["id"]]
    inbox_item = units.finance.get("/v1/inbox").body["items"][0]
    assert inbox_item["title"] == msg["title"]
    assert receive(units.finance, sent["id"]) == data
    assert units.province.get("/v1/outbox").body["items"][0]["title"] == msg["title"]


def test_a_package_breaking_a_rule_is_refused_its_content_deleted_and_the_source_told(
        hub: World, units: Units) -> None:
    data = DECISION.read_bytes()
    seen = recorded(hub)
    sent = send_package(units.finance, data, [HEALTH])  # From is the province, not Finance
    sweeper.sweep(hub.deps)
    msg = units.finance.get(f"/v1/messages/{sent['id']}").body["message"]
    assert msg["state"] == "refused"
    assert {p["code"] for p in msg["problems"]} >= {"edxml_not_sender",
                                                    "edxml_not_a_destination"}
    assert any(p["element"] == "MessageHeader/From/OrganId" for p in msg["problems"])
    assert hub.deps.objects.head(f"exchange/{sent['id']}/content") is None
    assert inbox_ids(units.health) == []
    refused = [e for e in seen if e.type == "message.refused"]
    assert [e.recipient for e in refused] == [FINANCE]
    assert refused[0].data["problems"][0]["code"] in {"edxml_not_sender",
                                                      "edxml_not_a_destination"}
    assert units.finance.get("/v1/outbox").body["items"][0]["state"] == "refused"
    assert units.health.post(f"/v1/messages/{sent['id']}/fetch").status == 404


def test_an_unsafe_package_is_refused_without_being_expanded(hub: World, units: Units) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><edXML>&b;</edXML>')
    sent = send_package(units.province, bomb, [FINANCE])
    sweeper.sweep(hub.deps)
    msg = units.province.get(f"/v1/messages/{sent['id']}").body["message"]
    assert msg["state"] == "refused"
    assert msg["problems"][0]["code"].startswith("edxml_")


def test_priority_4_is_held_until_its_set_time_then_delivered_as_hoa_toc(
        hub: World, units: Units) -> None:
    clock = hub.deps.clock
    assert isinstance(clock, FakeClock)
    at = clock.now() + 3 * 3600
    text = DECISION.read_text(encoding="utf-8")
    text = text.replace("<edXML:Priority>0</edXML:Priority>", "<edXML:Priority>4</edXML:Priority>")
    text = text.replace("<edXML:DueDate>2026/12/31</edXML:DueDate>",
                        f"<edXML:DueDate>{format_time(datetime.fromtimestamp(at, UTC))}"
                        "</edXML:DueDate>")
    sent = send_package(units.province, text.encode(), [FINANCE, HEALTH])
    seen = recorded(hub)
    sweeper.sweep(hub.deps)
    msg = units.province.get(f"/v1/messages/{sent['id']}").body["message"]
    assert (msg["state"], msg["priority"]) == ("verified", "hoa_toc")
    assert msg["deliver_at"] is not None
    assert inbox_ids(units.finance) == []  # held: not before its time
    assert units.finance.post(f"/v1/messages/{sent['id']}/fetch").status == 404
    clock.advance(3 * 3600 - 60)
    sweeper.sweep(hub.deps)
    assert inbox_ids(units.finance) == []  # a minute early: still held
    assert not [e for e in seen if e.type == "message.available"]
    clock.advance(60)
    sweeper.sweep(hub.deps)
    assert inbox_ids(units.finance) == [sent["id"]] and inbox_ids(units.health) == [sent["id"]]
    available = [e for e in seen if e.type == "message.available"]
    assert sorted(e.recipient for e in available) == [FINANCE, HEALTH]
    assert {e.at for e in available} == {at}
    item = hub.deps.table.get(*keys.delivery(sent["id"], FINANCE))
    assert item is not None and item["available_at"] == at


def _recall_to(*units_: str) -> bytes:
    text = RECALL.read_text(encoding="utf-8")
    to = "".join(f"<To><OrganId>{u}</OrganId><OrganName>Sở</OrganName></To>" for u in units_)
    return text.replace('<To><OrganId>000.00.01.H30</OrganId><OrganName>Sở Tài chính'
                        '</OrganName></To>', to).encode()


def test_a_recall_must_reach_every_destination_of_the_original(
        hub: World, units: Units) -> None:
    early = send_package(units.province, _recall_to(FINANCE), [FINANCE])
    sweeper.sweep(hub.deps)
    msg = units.province.get(f"/v1/messages/{early['id']}").body["message"]
    assert [p["code"] for p in msg["problems"]] == ["edxml_unknown_original"]

    original = send_package(units.province, DECISION.read_bytes(), [FINANCE, HEALTH])
    sweeper.sweep(hub.deps)
    short = send_package(units.province, _recall_to(FINANCE), [FINANCE])
    sweeper.sweep(hub.deps)
    msg = units.province.get(f"/v1/messages/{short['id']}").body["message"]
    assert [p["code"] for p in msg["problems"]] == ["edxml_original_destinations"]
    assert HEALTH in msg["problems"][0]["message"]

    whole = send_package(units.province, _recall_to(FINANCE, HEALTH), [FINANCE, HEALTH])
    sweeper.sweep(hub.deps)
    msg = units.province.get(f"/v1/messages/{whole['id']}").body["message"]
    assert msg["state"] == "verified"
    assert msg["edxml"]["business_doc_type"] == 1
    assert msg["edxml"]["original"] == original["id"]
    assert whole["id"] in inbox_ids(units.health)


def test_a_second_complete_or_object_event_during_the_check_changes_nothing(
        hub: World, units: Units) -> None:
    data = DECISION.read_bytes()
    sent = send_package(units.province, data, [FINANCE, HEALTH])
    again = units.province.post(f"/v1/messages/{sent['id']}/complete", {"parts": []})
    assert again.status == 200 and again.body["message"]["state"] == "checking"
    from chalicelib.api.events import handle_object_created
    handle_object_created({"Records": [{"s3": {"object": {
        "key": f"exchange/{sent['id']}/content"}}}]})
    assert inbox_ids(units.finance) == [sent["id"]]  # the event read it, outside a request
    sweeper.sweep(hub.deps)  # the due item finds it verified: nothing twice
    assert inbox_ids(units.finance) == [sent["id"]]
    trace = units.province.get(f"/v1/messages/{sent['id']}").body["trace"]
    assert [e["event"] for e in trace].count("verified") == 1
    assert hashlib.sha256(data).hexdigest() == sent["sha256"]
