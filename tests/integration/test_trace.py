"""A message's trace stays bounded and is read a page at a time (issue item 11,
R-SEND-5): a destination fetching again and again, or failing its check again and again,
cannot grow the trace without limit; the source pages through a long trace; a
destination sees the message's steps and its own, rebuilt from the items it may read."""

from __future__ import annotations

import hashlib

from chalicelib.domain import keys
from chalicelib.domain.lifecycle import TRACE_CAP
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_B, UNIT_C, World


def trace_lines(hub: World, message_id: str) -> list[dict[str, object]]:
    return hub.deps.table.query(keys.message_partition(message_id), prefix=keys.TRACE,
                                limit=200).items


def test_fetching_again_adds_no_trace_line_but_counts(hub: World) -> None:
    data = b"tai lieu lon"
    message_id = send(hub, data, [UNIT_B])
    for _ in range(25):  # fresh URLs for a slow download, again and again
        assert receive(hub.b, message_id) == data
    events = [line["event"] for line in trace_lines(hub, message_id)]
    assert events.count("fetched") == 1
    delivery = hub.deps.table.get(*keys.delivery(message_id, UNIT_B))
    assert delivery is not None and delivery["fetch_count"] == 25
    assert delivery["last_fetched_at"] >= delivery["first_fetched_at"]


def test_failed_fetches_are_counted_but_traced_up_to_the_cap(hub: World) -> None:
    message_id = send(hub, b"noi dung", [UNIT_B])
    receive(hub.b, message_id)
    for _ in range(3 * TRACE_CAP):
        wrong = hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": "0" * 64})
        assert wrong.status == 422 and wrong.code == "checksum_mismatch"
    events = [line["event"] for line in trace_lines(hub, message_id)]
    assert events.count("fetch_failed") == TRACE_CAP
    delivery = hub.deps.table.get(*keys.delivery(message_id, UNIT_B))
    assert delivery is not None and delivery["failed_fetches"] == 3 * TRACE_CAP


def test_the_source_pages_through_a_long_trace(hub: World) -> None:
    data = b"x"
    message_id = send(hub, data, [UNIT_B, UNIT_C])
    for _ in range(40):  # each a traced step of its own (a refused upload is capped too)
        hub.deps.table.put({**_line(hub, message_id), "event": "waiting", "unit": UNIT_B})
    first = hub.a.get(f"/v1/messages/{message_id}").body
    assert len(first["trace"]) == 42 and first["trace_next_cursor"] is None
    paged, cursor = [], None
    while True:
        query = f"?cursor={cursor}&limit=10" if cursor else "?limit=10"
        page = hub.a.get(f"/v1/messages/{message_id}/trace{query}").body
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [t["event"] for t in paged] == [t["event"] for t in first["trace"]]
    assert [t["at"] for t in paged] == sorted(t["at"] for t in paged)


def _line(hub: World, message_id: str) -> dict[str, object]:
    from chalicelib.services.audit import trace_put

    hub.deps.clock.advance(1)  # type: ignore[attr-defined]
    return trace_put(hub.deps, message_id, "waiting").item


def test_a_destination_sees_the_message_and_its_own_steps_only(hub: World) -> None:
    data = b"hai noi nhan"
    message_id = send(hub, data, [UNIT_B, UNIT_C])
    receive(hub.b, message_id)
    receive(hub.c, message_id)
    hub.c.post(f"/v1/messages/{message_id}/reject", {"reason": "Sai nơi nhận"})
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    seen_by_b = hub.b.get(f"/v1/messages/{message_id}").body
    assert [(t["event"], t["unit"]) for t in seen_by_b["trace"]] == [
        ("requested", hub.a.creds.unit), ("verified", hub.a.creds.unit),
        ("fetched", UNIT_B), ("confirmed", UNIT_B), ("content_deleted", None)]
    assert [d["unit"] for d in seen_by_b["deliveries"]] == [UNIT_B]
    paged = hub.b.get(f"/v1/messages/{message_id}/trace").body
    assert paged["items"] == seen_by_b["trace"] and paged["next_cursor"] is None
    by_c = hub.c.get(f"/v1/messages/{message_id}/trace").body["items"]
    assert ("rejected", UNIT_C, "Sai nơi nhận") in [
        (t["event"], t["unit"], t["detail"]) for t in by_c]
    assert all(t["unit"] != UNIT_B for t in by_c)
