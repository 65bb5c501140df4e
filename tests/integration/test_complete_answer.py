"""`complete` answers from what it wrote (issue 17, P4; R-SEND-5): the status it returns
is the one a `GET` of the message returns right after, for one destination, for a
message delivered in several batches, for an edXML package waiting for the hub's check
and for a destination re-organised before the content arrived; and it reads neither the
message nor its deliveries back to build it (only the trace, whose first lines `create`
wrote)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.domain.lifecycle import FIRST_BATCH
from chalicelib.services import registry
from chalicelib.services.deps import Deps
from tests.integration.test_exchange_flow import upload
from tests.integration.test_units_reorg import reorganise
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World, content_request
from tests.unit.edxml_samples import DECISION

OPERATOR = "000.00.30.H99"
MANY = [f"000.00.{n:02d}.H98" for n in range(10, 10 + FIRST_BATCH + 5)]  # two batches


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


class Reads:
    """Counts, per kind, the table's reads of one message's partition."""

    def __init__(self, deps: Deps, message_id: str) -> None:
        self.seen: Counter[str] = Counter()
        table, partition = deps.table, keys.message_partition(message_id)
        get, query = table.get, table.query

        def counted_get(pk: str, sk: str) -> Any:
            if (pk, sk) == keys.message(message_id):
                self.seen["message"] += 1
            return get(pk, sk)

        def counted_query(pk: str, **kw: Any) -> Any:
            if pk == partition:
                self.seen[kw.get("prefix") or "partition"] += 1
            return query(pk, **kw)
        table.get = counted_get  # type: ignore[method-assign]
        table.query = counted_query  # type: ignore[method-assign]


def complete(hub: World, to: list[str], sender: SignedClient | None = None,
             **extra: Any) -> tuple[dict[str, Any], Reads]:
    """Send 1 KiB to `to`; the answer of `complete` and the reads it made."""
    sender, data = sender or hub.a, os.urandom(1024)
    created = sender.post("/v1/messages", content_request(data, to, **extra))
    assert created.status == 201, created.body
    message_id = created.body["message"]["id"]
    parts = upload(created.body["upload"], data)
    reads = Reads(hub.deps, message_id)
    done = sender.post(f"/v1/messages/{message_id}/complete", {"parts": parts})
    assert done.status == 200, done.body
    return done.body, reads


def status(client: SignedClient, message_id: str) -> dict[str, Any]:
    got = client.get(f"/v1/messages/{message_id}")
    assert got.status == 200, got.body
    return dict(got.body)


def test_one_destination_is_answered_from_the_writes(hub: World) -> None:
    answer, reads = complete(hub, [UNIT_B])
    assert answer["message"]["state"] == "verified"
    assert [d["unit"] for d in answer["deliveries"]] == [UNIT_B]
    assert reads.seen == {"message": 1, keys.TRACE: 1}  # the check's read; the trace
    assert answer == status(hub.a, answer["message"]["id"])


def test_a_message_in_two_batches_is_answered_from_the_writes(hub: World) -> None:
    for code in MANY:
        registry.create_unit(hub.deps, code, f"Đơn vị {code}")
    answer, reads = complete(hub, [UNIT_B, *MANY, UNIT_C])
    assert len(answer["deliveries"]) == len(MANY) + 2
    assert answer["deliveries_next_cursor"] is None
    assert reads.seen[keys.DELIVERIES] == 0
    assert answer == status(hub.a, answer["message"]["id"])


def test_an_edxml_package_waiting_for_its_check_is_answered_from_the_write(
        hub: World) -> None:
    province, finance = "000.00.00.H30", "000.00.01.H30"
    for code in (province, finance):
        registry.create_unit(hub.deps, code, f"Đơn vị {code}")
    sender = hub.as_(registry.create_app(hub.deps, province, "app"))
    data = DECISION.read_bytes()
    created = sender.post("/v1/messages", content_request(
        data, [finance], protocol="edxml", title="(edXML)", priority="thuong"))
    message_id = created.body["message"]["id"]
    parts = upload(created.body["upload"], data)
    reads = Reads(hub.deps, message_id)
    done = sender.post(f"/v1/messages/{message_id}/complete", {"parts": parts})
    assert done.status == 200 and done.body["message"]["state"] == "checking"
    assert done.body["deliveries"] == [{**done.body["deliveries"][0], "state": "pending"}]
    assert reads.seen == {"message": 1, keys.TRACE: 1}
    assert done.body == status(sender, message_id)


def test_a_destination_merged_before_the_content_arrived_is_answered_as_read(
        hub: World) -> None:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    op = hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))
    data = os.urandom(1024)
    created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
    message_id = created.body["message"]["id"]
    merged = reorganise(op, hub, kind="merge", units=[UNIT_B, UNIT_C],
                        successors=[{"code": "000.00.09.H99", "name": "Sở Hợp nhất"}])
    assert merged.status == 201, merged.body
    done = hub.a.post(f"/v1/messages/{message_id}/complete",
                      {"parts": upload(created.body["upload"], data)})
    assert done.status == 200, done.body
    assert {d["unit"]: d["state"] for d in done.body["deliveries"]} == {
        UNIT_B: "moved", "000.00.09.H99": "available"}
    assert done.body == status(hub.a, message_id)


def test_a_retried_complete_is_answered_as_read(hub: World) -> None:
    first, _ = complete(hub, [UNIT_B, UNIT_C])
    message_id = first["message"]["id"]
    again = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": []})
    assert again.status == 200
    assert again.body == first == status(hub.a, message_id)
    assert status(hub.a, message_id)["message"]["source"] == UNIT_A
