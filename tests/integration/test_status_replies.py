"""Status replies on moto (R-SEND-4, R-SEND-5, R-COMP-5, R-PROP-10; the national-standards
status codes 01-06, 13, 15, 16 and status packages of ../shared/spec/REQUIREMENTS.md): a
destination answers a message it fetched, the source is told and reads every reply, the
source asks for a recall and the destinations answer it, a reply relayed from a peer hub
keeps its hops, and any reply renders as an edXML status package."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.domain.edxml.models import Code
from chalicelib.domain.edxml.status import read_status
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.ports import Put
from chalicelib.domain.status_replies import MAX_PER_UNIT
from chalicelib.services import status_replies, sweeper
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, send
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World

REMOTE = "000.00.00.H31"  # a unit of another province's hub


def replies_path(message_id: str) -> str:
    return f"/v1/messages/{message_id}/status-replies"


def answer(client: SignedClient, message_id: str, code: str, comment: str | None = None
           ) -> Any:
    body: dict[str, Any] = {"code": code}
    if comment is not None:
        body["comment"] = comment
    return client.post(replies_path(message_id), body)


def stored(hub: World, message_id: str, prefix: str) -> list[dict[str, Any]]:
    return hub.deps.table.query(keys.message_partition(message_id), prefix=prefix,
                                limit=200).items


def message_item(hub: World, message_id: str) -> dict[str, Any]:
    msg = hub.deps.table.get(*keys.message(message_id))
    assert msg is not None
    return msg


@pytest.fixture
def fetched(hub: World) -> str:
    """A message from A to B and C, fetched by B (not by C)."""
    message_id = send(hub, b"cong van", [UNIT_B, UNIT_C])
    receive(hub.b, message_id)
    return message_id


def test_a_destination_answers_and_the_source_is_told_and_sees_it(
        hub: World, fetched: str) -> None:
    seen = recorded(hub)
    made = answer(hub.b, fetched, "03", "Đã tiếp nhận, chuyển phòng Tổng hợp")
    assert made.status == 201, made.body
    reply = made.body
    assert made.headers["location"] == f"{replies_path(fetched)}/{reply['id']}"
    assert {k: reply[k] for k in ("message_id", "unit", "role", "code", "meaning", "comment",
                                  "hops")} == {
        "message_id": fetched, "unit": UNIT_B, "role": "destination", "code": "03",
        "meaning": "accepted (tiếp nhận)", "comment": "Đã tiếp nhận, chuyển phòng Tổng hợp",
        "hops": []}
    assert [(e.type, e.recipient, e.message_id, e.priority) for e in seen] == [
        ("message.status", UNIT_A, fetched, "khan")]
    assert dict(seen[0].data) == {"unit": UNIT_B, "code": "03",
                                  "meaning": "accepted (tiếp nhận)",
                                  "comment": "Đã tiếp nhận, chuyển phòng Tổng hợp",
                                  "reply_id": reply["id"]}
    trace = hub.a.get(f"/v1/messages/{fetched}/trace").body["items"]
    assert [(t["event"], t["unit"], t["detail"]) for t in trace][-1] == ("status", UNIT_B, "03")
    listed = hub.a.get(replies_path(fetched)).body
    assert listed == {"items": [reply], "next_cursor": None}


def test_the_same_reply_again_soon_after_is_answered_once(hub: World, fetched: str) -> None:
    seen = recorded(hub)
    first = answer(hub.b, fetched, "05", "đang xử lý")
    assert isinstance(hub.deps.clock, FakeClock)
    hub.deps.clock.advance(60)
    again = answer(hub.b, fetched, "05", "đang xử lý")
    assert (first.status, again.status) == (201, 200) and again.body == first.body
    assert len(seen) == 1 and len(stored(hub, fetched, keys.REPLIES)) == 1
    assert [t["event"] for t in hub.a.get(f"/v1/messages/{fetched}/trace").body["items"]
            ].count("status") == 1
    other = answer(hub.b, fetched, "05", "đã giao chuyên viên")
    assert other.status == 201 and other.body["id"] != first.body["id"]


def test_refusals_are_clear_and_write_nothing(hub: World, fetched: str) -> None:
    bad = answer(hub.b, fetched, "07")
    assert bad.status == 400 and bad.code == "invalid_status_code"
    assert "03 accepted" in bad.body["error"]["message"]
    early = answer(hub.c, fetched, "01")  # C has not fetched it
    assert early.status == 409 and early.code == "status_not_allowed"
    assert "Fetch the message first" in early.body["error"]["message"]
    recall_answer = answer(hub.b, fetched, "15")
    assert recall_answer.status == 409 and recall_answer.code == "status_not_allowed"
    not_source = answer(hub.a, fetched, "03")
    assert not_source.status == 409 and "only 13" in not_source.body["error"]["message"]
    long = answer(hub.b, fetched, "03", "x" * 1001)
    assert long.status == 400 and long.code == "validation_failed"
    assert stored(hub, fetched, "REPLY") == [] and hub.a.get(replies_path(fetched)).body[
        "items"] == []


def test_another_unit_is_told_the_message_does_not_exist(hub: World) -> None:
    message_id = send(hub, b"rieng", [UNIT_B])
    receive(hub.b, message_id)
    made = answer(hub.b, message_id, "03").body
    for path in (replies_path(message_id), f"{replies_path(message_id)}/{made['id']}/edxml"):
        got = hub.c.get(path)
        assert got.status == 404 and got.code == "message_not_found"
    posted = answer(hub.c, message_id, "03")
    assert posted.status == 404 and posted.code == "message_not_found"
    assert answer(hub.b, "0" * 32, "03").code == "message_not_found"


def test_replies_go_on_after_completion_until_a_delivery_expires(hub: World) -> None:
    data = b"bao cao"
    message_id = send(hub, data, [UNIT_B, UNIT_C], policy={"confirm_within_seconds": 3600})
    receive(hub.b, message_id)
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    receive(hub.c, message_id)
    assert isinstance(hub.deps.clock, FakeClock)
    hub.deps.clock.advance(3600)
    sweeper.sweep(hub.deps)  # C never confirmed: its delivery expires, the message completes
    assert hub.a.get(f"/v1/messages/{message_id}").body["message"]["state"] == "completed"
    hub.deps.clock.advance(5 * 86400)  # days later
    assert answer(hub.b, message_id, "06", "Đã hoàn thành").status == 201
    late = answer(hub.c, message_id, "05")
    assert late.status == 409 and "deadline" in late.body["error"]["message"]


def test_a_rejected_message_is_answered_only_with_02(hub: World, fetched: str) -> None:
    hub.b.post(f"/v1/messages/{fetched}/reject", {"reason": "Không thuộc thẩm quyền"})
    assert answer(hub.b, fetched, "03").code == "status_not_allowed"
    assert answer(hub.b, fetched, "02", "Không thuộc thẩm quyền").status == 201


def test_the_source_asks_for_a_recall_and_the_destinations_answer_it(
        hub: World, fetched: str) -> None:
    seen = recorded(hub)
    assert answer(hub.b, fetched, "16").code == "status_not_allowed"  # nothing to answer
    asked = answer(hub.a, fetched, "13", "Văn bản sai số hiệu, đề nghị thu hồi")
    assert asked.status == 201 and asked.body["role"] == "source"
    assert sorted((e.type, e.recipient) for e in seen) == [
        ("message.status", UNIT_B), ("message.status", UNIT_C)]
    assert answer(hub.b, fetched, "13").code == "status_not_allowed"  # the source's code
    seen.clear()
    agreed = answer(hub.b, fetched, "15", "Đồng ý thu hồi")
    assert agreed.status == 201
    assert [(e.recipient, e.data["code"]) for e in seen] == [(UNIT_A, "15")]
    own = answer(hub.b, fetched, "03").body
    mine = hub.b.get(replies_path(fetched)).body
    assert [r["code"] for r in mine["items"]] == ["13", "15", "03"]
    assert mine["next_cursor"] is None
    assert [r["code"] for r in hub.c.get(replies_path(fetched)).body["items"]] == ["13"]
    hidden = hub.c.get(f"{replies_path(fetched)}/{own['id']}/edxml")
    assert hidden.status == 404 and hidden.code == "status_reply_not_found"


def test_the_source_pages_through_every_reply(hub: World, fetched: str) -> None:
    receive(hub.c, fetched)
    made = [answer(client, fetched, code).body["id"]
            for client, code in ((hub.b, "01"), (hub.c, "01"), (hub.b, "03"))]
    first = hub.a.get(f"{replies_path(fetched)}?limit=2").body
    assert [r["id"] for r in first["items"]] == made[:2] and first["next_cursor"]
    rest = hub.a.get(f"{replies_path(fetched)}?cursor={first['next_cursor']}&limit=2").body
    assert [r["id"] for r in rest["items"]] == made[2:] and rest["next_cursor"] is None


def package(hub: World, client: SignedClient, message_id: str, reply_id: str) -> Any:
    got = client.http.get(f"{replies_path(message_id)}/{reply_id}/edxml",
                          headers=signed_headers(client, message_id, reply_id))
    assert got.status_code == 200, got.body
    assert got.headers["Content-Type"] == "application/xml"
    assert got.headers["Content-Disposition"] == f'attachment; filename="status-{reply_id}.xml"'
    reply, problems = read_status([got.body])
    assert problems == []
    return reply


def signed_headers(client: SignedClient, message_id: str, reply_id: str) -> dict[str, str]:
    from tests.support.hub import HOST
    from tests.support.signing import sign
    return sign("GET", f"http://{HOST}{replies_path(message_id)}/{reply_id}/edxml",
                key_id=client.creds.access_key, secret=client.creds.secret_key, body=b"",
                created=client.deps.clock.now(), nonce="",
                headers={"host": HOST, "accept": "application/xml"},
                components=("@method", "@target-uri"))


def test_a_reply_renders_as_an_edxml_status_package(hub: World, fetched: str) -> None:
    made = answer(hub.b, fetched, "04", "Giao phòng Kế hoạch").body
    plain = package(hub, hub.a, fetched, made["id"])
    assert plain.response_for.organ_id == UNIT_A and plain.response_for.document_id == fetched
    assert (plain.from_.organ_id, plain.from_.organ_name) == (UNIT_B, f"Đơn vị {UNIT_B}")
    assert (plain.status_code, plain.description) == ("04", "Giao phòng Kế hoạch")
    facts = {"document_id": "000.00.01.H99,2026/11/20,12/STC", "code_number": "12",
             "code_notation": "STC", "promulgation_date": "2026-11-20",
             "organ_id": UNIT_A, "organ_name": "Sở Tài chính", "subject": "Về việc…",
             "business_doc_type": 0}
    msg = message_item(hub, fetched)
    hub.deps.table.put({**msg, "edxml": facts})  # as the edXML check stores them
    edxml = package(hub, hub.b, fetched, made["id"])
    assert edxml.response_for.document_id == facts["document_id"]
    assert edxml.response_for.code == Code("12", "STC")
    assert edxml.response_for.promulgation_date == "2026/11/20"
    unknown = hub.a.get(f"{replies_path(fetched)}/{'f' * 32}/edxml")
    assert unknown.status == 404 and unknown.code == "status_reply_not_found"


def test_an_update_is_answered_with_15_or_16_without_a_recall_request(
        hub: World, fetched: str) -> None:
    msg = message_item(hub, fetched)
    hub.deps.table.put({**msg, "edxml": {"business_doc_type": 2}})
    assert answer(hub.b, fetched, "16", "Không đồng ý cập nhật").status == 201


def test_a_reply_relayed_from_a_peer_hub_keeps_its_hops(hub: World, fetched: str) -> None:
    msg = message_item(hub, fetched)
    msg = {**msg, "to": [*msg["to"], REMOTE]}
    hub.deps.table.put(msg)  # as the relay addresses a remote destination
    seen = recorded(hub)
    hops = [{"hub": "ndxp", "at": 1_795_000_100}, {"hub": "hanoi", "at": 1_795_000_050}]
    item = status_replies.record(hub.deps, msg, REMOTE, "01", at=1_795_000_000,
                                 comment=None, hops=hops)
    assert item["hops"] == hops and item["unit"] == REMOTE and item["role"] == "destination"
    assert [(e.recipient, e.data["hops"]) for e in seen] == [(UNIT_A, hops)]
    again = status_replies.record(hub.deps, msg, REMOTE, "01", at=1_795_000_000,
                                  comment=None, hops=hops)
    assert again["id"] == item["id"] and len(seen) == 1  # the relay retried: once
    shown = hub.a.get(replies_path(fetched)).body["items"][0]
    assert [h["hub"] for h in shown["hops"]] == ["ndxp", "hanoi"]
    reply = package(hub, hub.a, fetched, item["id"])
    assert (reply.from_.organ_id, reply.from_.organ_name) == (REMOTE, REMOTE)


def test_a_reply_racing_another_of_its_unit_writes_nothing(hub: World, fetched: str) -> None:
    count_pk, count_sk = keys.latest_status_reply(fetched, UNIT_B)
    hub.deps.table.transact([Put({"pk": count_pk, "sk": count_sk, "count": 1,
                                  "last": "elsewhere"})])  # committed, its copy not yet seen
    msg = message_item(hub, fetched)
    with pytest.raises(ConflictError) as caught:
        status_replies.record(hub.deps, msg, UNIT_B, "03", at=hub.deps.clock.now(),
                              comment=None)
    assert caught.value.code == "conflict"
    assert stored(hub, fetched, "REPLY#") == [] and stored(hub, fetched, "REPLYBY#") == []
    assert "status" not in [t["event"] for t in hub.a.get(
        f"/v1/messages/{fetched}/trace").body["items"]]


def test_a_unit_sends_at_most_its_share_of_replies(hub: World, fetched: str) -> None:
    msg = message_item(hub, fetched)
    for n in range(MAX_PER_UNIT):
        status_replies.record(hub.deps, msg, UNIT_B, ("04", "05")[n % 2],
                              at=hub.deps.clock.now(), comment=None)
    over = answer(hub.b, fetched, "06")
    assert over.status == 409 and over.code == "too_many_status_replies"
    assert len(stored(hub, fetched, keys.REPLIES)) == MAX_PER_UNIT
