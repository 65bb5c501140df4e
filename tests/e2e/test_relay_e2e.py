"""The relay between three real hubs on one machine (issue 15, R-PROP-10; docs/federation.md,
"The relay"): each a `make run` host with its own table and store. A unit of hub A sends one
message to a unit of its own, one of hub B (another province) and one of hub C (the
national platform, the default route); B's and C's units download straight from A's store
and confirm; the outcomes reach A's source with the hop; A deletes the content when every
destination is done. A hand-over to a hub that is down arrives once after it returns."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.exchange import fetch_file, send_file
from tests.e2e.hubs import ThreeHubs, start_three, stop_all, wire

LOCAL = "000.00.02.H02"  # a second unit of A
T = TypeVar("T")


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreeHubs]:
    made = start_three(tmp_path_factory.mktemp("relay"), LGSP_SWEEP_SECONDS="1")
    try:
        wire(made)
        made.a.add_unit(LOCAL, "Sở Y tế tỉnh A")
        yield made
    finally:
        stop_all(made)


def eventually(what: str, probe: Callable[[], T | None], *, within: float = 90) -> T:
    """Poll `probe` until it answers something (the hubs work in the background)."""
    until = time.monotonic() + within
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > until:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(0.2)


def in_inbox(client: LgspClient, title: str) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        return next((i for i in client.inbox()["items"] if i["title"] == title), None)
    return probe


def receive(client: LgspClient, title: str, dest: Path, data: bytes) -> str:
    item = eventually(f"'{title}' in an inbox", in_inbox(client, title))
    got = fetch_file(client, item["id"], dest, progress=False)
    assert got.file.path.read_bytes() == data and got.delivery["state"] == "confirmed"
    return str(item["id"])


def status_of(client: LgspClient, message_id: str) -> dict[str, Any]:
    return client.message_status(message_id, every_page=True)


def test_one_send_reaches_a_local_unit_and_units_of_two_other_hubs(
        hubs: ThreeHubs, tmp_path: Path) -> None:
    a, b, c = hubs.a, hubs.b, hubs.c
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "cong-van.pdf"
    path.write_bytes(data)
    title = "Công văn liên tỉnh số 7"
    sent = send_file(a.client_for(a.unit), path, to=[LOCAL, b.unit, c.unit], title=title,
                     priority="khan", progress=False)
    message_id = sent.message["id"]

    at_b = receive(b.client_for(b.unit), title, tmp_path / "b", data)
    at_c = receive(c.client_for(c.unit), title, tmp_path / "c", data)
    receive(a.client_for(LOCAL), title, tmp_path / "a", data)
    item_b = b.client_for(b.unit).message_status(at_b)["message"]
    assert item_b["source"] == a.unit and item_b["priority"] == "khan"  # kept across
    assert b.client_for(b.unit).call(
        "POST", f"/v1/messages/{at_b}/status-replies",
        body={"code": "03", "comment": "Đã tiếp nhận"}, retry=False)["code"] == "03"

    source = a.client_for(a.unit)

    def completed() -> dict[str, Any] | None:
        status = status_of(source, message_id)
        return status if status["message"]["state"] == "completed" else None

    status = eventually("A's message completed", completed)
    deliveries = {d["unit"]: d for d in status["deliveries"]}
    assert {u: d["state"] for u, d in deliveries.items()} == {
        LOCAL: "confirmed", b.unit: "confirmed", c.unit: "confirmed"}
    assert deliveries[b.unit]["via"] == "h31" and deliveries[c.unit]["via"] == "ndxp"
    assert status["message"]["content_deleted_at"] is not None
    assert {h["peer"]: h["state"] for h in status["handovers"]} == {
        "h31": "accepted", "ndxp": "accepted"}
    trace = status["trace"]
    relayed = [e["detail"] for e in trace if e["event"] == "relayed"]
    assert sorted(relayed) == ["to h31", "to ndxp"]
    confirmed_b = next(e for e in trace if e["event"] == "confirmed" and e["unit"] == b.unit)
    assert confirmed_b["detail"].startswith("via h31") and b.url in confirmed_b["detail"]
    assert at_c != message_id  # each hub has its own id for the message

    def replied() -> list[dict[str, Any]] | None:
        items = source.call("GET", f"/v1/messages/{message_id}/status-replies")["items"]
        return items or None

    reply = eventually("B's status reply at A", replied)[0]
    assert (reply["unit"], reply["code"]) == (b.unit, "03")
    assert [h["hub"] for h in reply["hops"]][-1] == b.url


def test_a_hand_over_to_a_hub_that_is_down_arrives_once_after_it_returns(
        hubs: ThreeHubs, tmp_path: Path) -> None:
    a, b = hubs.a, hubs.b
    data = b"%PDF-1.4 quyet dinh " + os.urandom(2048)
    path = tmp_path / "quyet-dinh.pdf"
    path.write_bytes(data)
    title = "Quyết định gửi khi tỉnh B ngừng"
    source = a.client_for(a.unit)
    with hubs.stopped(b):
        sent = send_file(source, path, to=[b.unit], title=title, progress=False)
        message_id = sent.message["id"]

        def waiting() -> dict[str, Any] | None:
            status = status_of(source, message_id)
            handover = status["handovers"][0] if status["handovers"] else None
            return handover if handover and handover["attempts"] >= 1 else None

        handover = eventually("a failed hand-over", waiting)
        assert handover["state"] == "pending"
        assert handover["last_error"] == "peer_unreachable"
        trace = status_of(source, message_id)["trace"]
        assert any(e["event"] == "waiting" and "h31" in (e["detail"] or "") for e in trace)
    receiver = b.client_for(b.unit)
    at_b = receive(receiver, title, tmp_path / "b", data)
    assert [i["id"] for i in receiver.inbox()["items"] if i["title"] == title] == []
    again = b.client_for(b.unit).message_status(at_b)
    assert again["deliveries"][0]["state"] == "confirmed"

    def completed() -> dict[str, Any] | None:
        status = status_of(source, message_id)
        return status if status["message"]["state"] == "completed" else None

    status = eventually("A's message completed after B returned", completed)
    assert status["handovers"][0]["state"] == "accepted"
    assert status["handovers"][0]["attempts"] >= 1
    assert [e["event"] for e in status["trace"]].count("relayed") == 1  # handed over once
    assert hashlib.sha256(data).hexdigest() == status["message"]["sha256"]


def test_copy_mode_streams_the_content_into_the_receiving_hubs_store(
        hubs: ThreeHubs, tmp_path: Path) -> None:
    a, b = hubs.a, hubs.b
    b.operator.call("PATCH", "/v1/admin/peers/h02", body={"content": "copy"}, retry=False)
    try:
        data = os.urandom(9 * 1024 * 1024 + 5)  # more than one part of the copy
        path = tmp_path / "ho-so.zip"
        path.write_bytes(data)
        title = "Hồ sơ chép vào kho của tỉnh B"
        sent = send_file(a.client_for(a.unit), path, to=[b.unit], title=title,
                         progress=False)
        receiver = b.client_for(b.unit)
        item = eventually("the copy delivered at B", in_inbox(receiver, title))
        grant = receiver.fetch(item["id"])
        assert f":{b.host.env['LGSP_S3_PORT']}/" in grant["url"]  # B's own store
        got = fetch_file(receiver, item["id"], tmp_path / "b", progress=False)
        assert got.file.path.read_bytes() == data
        source = a.client_for(a.unit)

        def completed() -> dict[str, Any] | None:
            status = status_of(source, sent.message["id"])
            return status if status["message"]["state"] == "completed" else None

        status = eventually("A's message completed", completed)
        assert status["deliveries"][0]["state"] == "confirmed"
        at_b = receiver.message_status(item["id"])["message"]
        assert at_b["state"] == "completed" and at_b["content_deleted_at"] is not None
    finally:
        b.operator.call("PATCH", "/v1/admin/peers/h02", body={"content": "direct"},
                        retry=False)
