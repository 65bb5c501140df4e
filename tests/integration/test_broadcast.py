"""Broadcasts (issue item 2, R-PROP-1, R-PROP-7): a province sends to every commune. A
message reaches 1,000 destinations through a group, in transactions of at most 100
items; a delivery interrupted half-way is finished by a retried `complete` or by the
sweeper, each destination getting exactly one inbox entry; too many destinations is a
clear 400; the deadline of a broadcast is handled over several budgeted sweeps."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.table_checks import target
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain import keys
from chalicelib.domain.ports import Event, Put, TransactOp
from chalicelib.services import registry, sweeper, units
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, upload
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, SignedClient, World, content_request, make_deps, world
from tests.support.stats import day_counters

BUCKET = "lgsp-broadcast"
OPERATOR = "000.00.30.H99"
DISTRICT = "000.00.05.H99"
COMMUNES = [f"{n:03d}.{ward:02d}.05.H99" for ward in (1, 2) for n in range(1, 501)]
HOUR = 3600


class Recording:
    """The table, recording the size of every transaction; `crash_at=n` makes the n-th
    transaction that writes inbox entries fail as a dying process would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.largest = 0
        self.crash_at: int | None = None
        self._fan_outs = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transact(self, ops: Sequence[TransactOp]) -> None:
        self.largest = max(self.largest, len(ops))
        if any(target(op)[0].startswith("INBOX#") and isinstance(op, Put) for op in ops):
            self._fan_outs += 1
            if self._fan_outs == self.crash_at:
                self.crash_at = None
                raise OSError("the process died here")
        self.inner.transact(ops)


@pytest.fixture
def hub(aws: None, tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    table = Recording(SqliteTable(tmp_path / "t.sqlite3", clock=clock.now))
    s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                        secret_key=None, path_style=False)
    ensure_bucket(s3, BUCKET)
    deps = make_deps(table, S3ObjectStore(s3, BUCKET), clock,
                     operator_units=OPERATOR, max_destinations=1000, sweep_max_items=150)
    parents = [DISTRICT, "000.01.05.H99", "000.02.05.H99", OPERATOR]
    made = [units.new_unit_item(deps, code, f"Xã {code}") for code in [*parents, *COMMUNES]]
    for start in range(0, len(made), 30):
        deps.table.transact([op for unit in made[start:start + 30]
                             for op in units.creation_ops(deps, unit, actor=None)]
                            + [units.bump_directory()])
    yield from world(deps)


@pytest.fixture
def op(hub: World) -> SignedClient:
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def table(hub: World) -> Recording:
    assert isinstance(hub.deps.table, Recording)
    return hub.deps.table


def broadcast(hub: World, op: SignedClient, data: bytes, **extra: Any) -> tuple[str, list[Any]]:
    made = op.post("/v1/groups", {"id": "moi-xa", "name": "Mọi xã của huyện",
                                  "rule": {"parent": DISTRICT, "level": 4}})
    assert made.status == 201, made.body
    created = hub.a.post("/v1/messages", content_request(data, ["group:moi-xa"], **extra))
    assert created.status == 201, created.body
    assert len(created.body["message"]["to"]) == 1000
    return created.body["message"]["id"], upload(created.body["upload"], data)


def inbox_entries(hub: World, message_id: str) -> Counter[str]:
    """How many inbox entries of the message each commune has."""
    return Counter({code: sum(1 for i in hub.deps.table.query(keys.inbox_partition(code),
                                                               limit=10).items
                              if i["id"] == message_id) for code in COMMUNES})


def available(seen: list[Event], message_id: str) -> Counter[str]:
    return Counter(e.recipient for e in seen
                   if e.type == "message.available" and e.message_id == message_id)


def test_a_message_reaches_a_thousand_communes_through_a_group(
        hub: World, op: SignedClient) -> None:
    seen = recorded(hub)
    message_id, parts = broadcast(hub, op, os.urandom(2000))
    done = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts})
    assert done.status == 200 and done.body["message"]["state"] == "verified"
    assert table(hub).largest <= 100  # DynamoDB's limit on one transaction
    assert set(inbox_entries(hub, message_id).values()) == {1}
    assert set(available(seen, message_id).values()) == {1}
    assert len(available(seen, message_id)) == 1000
    first = done.body  # the status answers a page of deliveries, never all of them
    assert len(first["deliveries"]) == 200 and first["deliveries_next_cursor"]
    listed, cursor = list(first["deliveries"]), first["deliveries_next_cursor"]
    while cursor:
        page = hub.a.get(f"/v1/messages/{message_id}/deliveries?cursor={cursor}&limit=200")
        listed += page.body["items"]
        cursor = page.body["next_cursor"]
    assert sorted(d["unit"] for d in listed) == sorted(COMMUNES)
    assert {d["state"] for d in listed} == {"available"}


@pytest.mark.parametrize("finisher", ["retry", "sweeper"])
def test_a_broadcast_interrupted_half_way_is_finished_once(
        hub: World, op: SignedClient, finisher: str) -> None:
    seen = recorded(hub)
    message_id, parts = broadcast(hub, op, os.urandom(2000))
    table(hub).crash_at = 10  # the verification and 8 more batches went through
    crashed = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts})
    assert crashed.status == 500
    delivered = inbox_entries(hub, message_id)
    assert sum(delivered.values()) == 40 + 8 * 45 and set(delivered.values()) == {0, 1}
    if finisher == "retry":
        again = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts})
        assert again.status == 200
    else:
        hub.deps.clock.advance(121)  # type: ignore[attr-defined]
        sweeper.sweep(hub.deps)
    assert set(inbox_entries(hub, message_id).values()) == {1}
    assert set(available(seen, message_id).values()) == {1}  # told once each
    msg = hub.deps.table.get(*keys.message(message_id))
    assert msg is not None and msg["fanned_out"] is True


def test_too_many_destinations_is_a_clear_400(hub: World, op: SignedClient) -> None:
    listed = hub.a.post("/v1/messages", content_request(b"x", [*COMMUNES, DISTRICT]))
    assert listed.status == 400 and listed.code == "too_many_destinations"
    assert listed.body["error"]["limit"] == 1000
    broadcast(hub, op, b"x")  # creates the group of 1,000
    expanded = hub.a.post("/v1/messages", content_request(b"y", ["group:moi-xa", DISTRICT]))
    assert expanded.status == 400 and expanded.code == "too_many_destinations"
    assert "after expanding groups" in expanded.body["error"]["message"]


def test_the_deadline_of_a_broadcast_is_met_over_budgeted_sweeps(
        hub: World, op: SignedClient) -> None:
    data = os.urandom(3000)
    message_id, parts = broadcast(hub, op, data, policy={"confirm_within_seconds": HOUR})
    assert hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts}).status == 200
    readers = [hub.as_(registry.create_app(hub.deps, code, "app")) for code in COMMUNES[:3]]
    for reader in readers:
        assert receive(reader, message_id) == data
        confirmed = reader.post(f"/v1/messages/{message_id}/confirm",
                                {"sha256": hashlib.sha256(data).hexdigest()})
        assert confirmed.status == 200
    seen = recorded(hub)
    hub.deps.clock.advance(HOUR)  # type: ignore[attr-defined]
    sweeps = 0
    while hub.deps.table.get(*keys.message(message_id))["state"] != "completed":
        report = sweeper.sweep(hub.deps)
        assert report.deliveries_handled <= 150 + 100  # the budget, plus the page it ends on
        sweeps += 1
        assert sweeps < 20
    assert sweeps >= 5  # 1,000 deliveries do not fit one sweep's budget of 150
    expired = [e for e in seen if e.type == "message.expired"]
    assert len(expired) == 997 and len({e.data["destination"] for e in expired}) == 997
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is None
    hub.deps.clock.advance(120)  # type: ignore[attr-defined]  # tallies left to the sweeper
    sweeper.sweep(hub.deps)
    assert day_counters(hub.deps, UNIT_A)["expired"] == 997
    assert set(inbox_entries(hub, message_id).values()) == {0}


def test_a_crash_before_following_reorganised_destinations_is_finished_by_the_sweeper(
        hub: World, op: SignedClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-JOIN-5: a commune merged after the broadcast was sent but before its content
    was verified gets the message through its successor, even if the hub died right
    after delivering to every commune and before handling the re-organised ones."""
    from chalicelib.services import fanout

    message_id, parts = broadcast(hub, op, os.urandom(2000))
    merged = op.post("/v1/admin/reorganisations", {
        "kind": "merge", "units": COMMUNES[500:502], "effective_date": "2026-01-01",
        "legal_basis": {"decision_number": "1/QĐ-UBND", "decision_date": "2026-01-01"},
        "successors": [{"code": "000.03.05.H99", "name": "Xã mới"}]})
    assert merged.status == 201, merged.body
    follow, died = fanout.reorg.follow, []

    def dies_once(deps: Any, msg: Any) -> None:
        if not died:
            died.append(True)
            raise OSError("the process died here")
        follow(deps, msg)

    monkeypatch.setattr(fanout.reorg, "follow", dies_once)
    assert hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts}).status == 500
    assert hub.deps.table.get(*keys.message(message_id))["fanned_out"] is True
    hub.deps.clock.advance(121)  # type: ignore[attr-defined]
    sweeper.sweep(hub.deps)
    successor = hub.deps.table.query(keys.inbox_partition("000.03.05.H99"), limit=5).items
    assert [i["id"] for i in successor] == [message_id]
    delivery = hub.deps.table.get(*keys.delivery(message_id, COMMUNES[500]))
    assert delivery is not None and delivery["state"] == "moved"
