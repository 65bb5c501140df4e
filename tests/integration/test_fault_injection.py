"""Every backend call of an exchange fails once, in turn (issue "proven, not assumed";
R-PROP-2, R-PROP-3): each table call, each object store call and each event published,
once before the backend did anything and, for writes, once after (the work done, the
answer lost). For each, the callers get a clear error and their retry succeeds, and
afterwards no message is lost, none is delivered twice, no content is left in the store
and the counters are exact.

The exchange: A sends a two-part content to B and C with an Idempotency-Key, uploads,
completes; B fetches, downloads and confirms; C fetches and rejects; the sweeper runs.
A caller retries a 5xx answer (at most twice), as the agency client does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.adapters.topic_local import LocalTopic
from chalicelib.domain import keys
from chalicelib.services import sweeper
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.faults import WRITES, FaultPlan, Faulty, InjectedFault
from tests.support.hub import (
    UNIT_A,
    UNIT_B,
    UNIT_C,
    MiB,
    Reply,
    World,
    content_request,
    make_deps,
    world,
)
from tests.support.stats import day_counters

DATA = os.urandom(5 * MiB + 10)  # two parts: the multipart path, its listing and completion


def retried(call: Callable[[], Reply]) -> Reply:
    for _ in range(3):
        reply = call()
        if reply.status < 500:
            return reply
        assert reply.body["error"]["code"] in ("internal_error", "busy"), reply.body
    return reply


def exchange(hub: World) -> str:
    body = content_request(DATA, [UNIT_B, UNIT_C], part_size=5 * MiB)
    created = retried(lambda: hub.a.post("/v1/messages", body,
                                         headers={"Idempotency-Key": "fault-once"}))
    assert created.status in (200, 201), created.body
    message_id = created.body["message"]["id"]
    plan = created.body["upload"]
    parts = [*plan.get("uploaded", [])]
    for req in plan["requests"]:
        chunk = DATA[req["offset"]:req["offset"] + req["size"]]
        stored = requests.put(req["url"], data=chunk, headers=req["headers"], timeout=30)
        assert stored.status_code == 200, stored.text
        parts.append({"part_number": req["part_number"], "etag": stored.headers["ETag"]})
    done = retried(lambda: hub.a.post(f"/v1/messages/{message_id}/complete",
                                      {"parts": sorted(parts, key=lambda p: p["part_number"])}))
    assert done.status == 200, done.body
    grant = retried(lambda: hub.b.post(f"/v1/messages/{message_id}/fetch"))
    assert grant.status == 200, grant.body
    got = requests.get(grant.body["url"], headers=grant.body["headers"], timeout=30).content
    confirmed = retried(lambda: hub.b.post(f"/v1/messages/{message_id}/confirm",
                                           {"sha256": hashlib.sha256(got).hexdigest()}))
    assert confirmed.status == 200 and confirmed.body["state"] == "confirmed", confirmed.body
    assert retried(lambda: hub.c.post(f"/v1/messages/{message_id}/fetch")).status == 200
    rejected = retried(lambda: hub.c.post(f"/v1/messages/{message_id}/reject",
                                          {"reason": "Không thuộc thẩm quyền"}))
    assert rejected.status == 200 and rejected.body["state"] == "rejected", rejected.body
    for _ in range(2):  # the sweeper runs every minute; a failed sweep is run again
        hub.deps.clock.advance(sweeper.counters.SETTLE_AFTER + 1)  # type: ignore[attr-defined]
        with contextlib.suppress(InjectedFault):
            sweeper.sweep(hub.deps)
    return str(message_id)


def check(deps: Deps, table: Any, s3: Any, bucket: str, message_id: str) -> None:
    """No message lost or doubled, nothing left in the store, counts exact."""
    outbox = table.query(keys.outbox_partition(UNIT_A), limit=10).items
    assert [i["id"] for i in outbox] == [message_id]  # one message, not two
    msg = table.get(*keys.message(message_id))
    assert msg["state"] == "completed" and msg["content_deleted_at"]
    deliveries = table.query(keys.message_partition(message_id), prefix=keys.DELIVERIES,
                             limit=10).items
    assert {d["unit"]: d["state"] for d in deliveries} == {UNIT_B: "confirmed",
                                                          UNIT_C: "rejected"}
    for unit in (UNIT_B, UNIT_C):
        assert table.query(keys.inbox_partition(unit), limit=10).items == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    plain = Deps(**{**deps.__dict__, "table": table})
    assert day_counters(plain, UNIT_A).get("sent") == 1
    assert day_counters(plain, UNIT_B).get("received") == 1
    assert day_counters(plain, UNIT_C).get("rejected") == 1


@pytest.fixture
def run(aws: None) -> Iterator[Callable[[FaultPlan, str], str]]:
    s3 = boto3.client("s3", region_name="us-east-1")

    def one(plan: FaultPlan, bucket: str) -> str:
        clock = FakeClock()
        table = SqliteTable(":memory:", clock=clock.now)  # TTLs on the test's clock
        client = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                                secret_key=None, path_style=False)
        ensure_bucket(client, bucket)
        deps = make_deps(Faulty("table", table, plan),
                         Faulty("store", S3ObjectStore(client, bucket), plan),
                         clock, single_upload_max_bytes=5 * MiB)
        deps = Deps(**{**deps.__dict__, "topic": Faulty("topic", LocalTopic(), plan)})
        hubs = world(deps)
        try:
            hub = next(hubs)
            plan.armed = True  # count the exchange's calls, not the setup's
            message_id = exchange(hub)
            check(deps, table, s3, bucket, message_id)
            return message_id
        finally:
            hubs.close()

    yield one


def test_every_backend_call_failing_once_loses_and_doubles_nothing(
        run: Callable[[FaultPlan, str], str]) -> None:
    counted = FaultPlan()
    run(counted, "fault-count")
    calls = list(counted.calls)
    assert {c.split(".")[0] for c in calls} == {"table", "store", "topic"}
    cases = [(n, False) for n in range(len(calls))]
    cases += [(n, True) for n, name in enumerate(calls) if name.split(".")[1] in WRITES]
    failures: list[str] = []
    for n, after in cases:
        plan = FaultPlan(fail_at=n, after=after)
        try:
            run(plan, f"fault-{n}-{'a' if after else 'b'}")
        except AssertionError as exc:
            failures.append(f"{calls[n]} (call {n}, {'after' if after else 'before'}): "
                            f"{str(exc).splitlines()[0][:300]}")
        assert plan.failed is not None, f"call {n} was not reached"
    assert failures == [], "\n".join(failures)
