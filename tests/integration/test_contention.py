"""Concurrency as DynamoDB has it (issue item 1, R-PROP-5, R-PROP-12): transactions that
touch a shared item cancel each other. A busy unit's parallel `complete` calls and the
parallel confirmations of one message's destinations must all succeed, and the unit
counters must stay exact."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.table_retry import RetryingTable
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.errors import ContentionError
from chalicelib.domain.ports import TransactOp
from chalicelib.services import registry
from tests.integration.test_exchange_flow import receive, upload
from tests.support.contention import ContendedTable
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, World, content_request, make_deps, world
from tests.support.stats import day_counters

N = 8
BUCKET = "lgsp-contention"


def touches(prefix: str, sk_prefix: str = "") -> Callable[[Sequence[TransactOp]], bool]:
    """Transactions that write an item of `prefix…` (a message's meta or its deliveries)."""
    def joins(ops: Sequence[TransactOp]) -> bool:
        from chalicelib.adapters.table_checks import target
        return any(pk.startswith(prefix) and sk.startswith(sk_prefix)
                   for pk, sk in map(target, ops))
    return joins


@pytest.fixture
def contended(aws: None, tmp_path: Path) -> Iterator[World]:
    from app import app
    from infra.local.host import _requests_per_thread

    _requests_per_thread(app)  # chalice's test client, like the host, serves many threads
    clock = FakeClock()
    table = RetryingTable(ContendedTable(SqliteTable(tmp_path / "t.sqlite3", clock=clock.now)))
    s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                        secret_key=None, path_style=False)
    ensure_bucket(s3, BUCKET)
    deps = make_deps(table, S3ObjectStore(s3, BUCKET), clock)
    environ = os.environ  # chalice's test client swaps os.environ around each request,
    try:  # which threads interleave: put the real one back
        yield from world(deps)
    finally:
        os.environ = environ  # noqa: B003 (the object itself, as chalice's client does)


def contention(hub: World) -> ContendedTable:
    table = hub.deps.table
    assert isinstance(table, RetryingTable) and isinstance(table.inner, ContendedTable)
    return table.inner


def together(work: Callable[[int], Any]) -> list[Any]:
    out: list[Any] = [None] * N

    def one(i: int) -> None:
        out[i] = work(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_busy_source_completes_in_parallel_and_counts_exactly(contended: World) -> None:
    hub = contended
    sizes = [1000 + i for i in range(N)]
    ids, etags = [], []
    for size in sizes:
        data = os.urandom(size)
        created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
        assert created.status == 201, created.body
        ids.append(created.body["message"]["id"])
        etags.append(upload(created.body["upload"], data))
    verifying = contention(hub).arm(N, touches("MSG#", "META"))
    counting = contention(hub).arm(N, touches("STAT#"))
    replies = together(lambda i: hub.a.post(f"/v1/messages/{ids[i]}/complete",
                                            {"parts": etags[i]}))
    assert [r.status for r in replies] == [200] * N, [r.body for r in replies]
    assert verifying.cancelled == 0  # the verifications share no item any more
    assert counting.cancelled == N - 1  # the counts do, and were retried
    counters = day_counters(hub.deps, UNIT_A)
    assert counters["sent"] == N and counters["bytes_sent"] == sum(sizes)
    assert len(hub.b.get("/v1/inbox?limit=50").body["items"]) == N


def test_every_destination_confirms_in_parallel(contended: World) -> None:
    hub = contended
    codes = [f"000.00.{40 + i:02d}.H99" for i in range(N)]
    apps = []
    for code in codes:
        registry.create_unit(hub.deps, code, f"Xã {code}")
        apps.append(hub.as_(registry.create_app(hub.deps, code, "app")))
    data = os.urandom(3000)
    created = hub.a.post("/v1/messages", content_request(data, codes))
    parts = upload(created.body["upload"], data)
    message_id = created.body["message"]["id"]
    assert hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts}).status == 200
    for app in apps:
        assert receive(app, message_id) == data
    digest = hashlib.sha256(data).hexdigest()
    closing = contention(hub).arm(N, touches("MSG#", "DEST#"))
    replies = together(lambda i: apps[i].post(f"/v1/messages/{message_id}/confirm",
                                              {"sha256": digest}))
    assert [r.status for r in replies] == [200] * N, [r.body for r in replies]
    assert closing.cancelled == N - 1  # one batch's count of open deliveries: retried
    status = hub.a.get(f"/v1/messages/{message_id}").body
    assert status["message"]["state"] == "completed"
    assert {d["state"] for d in status["deliveries"]} == {"confirmed"}
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is None
    for code in codes:
        assert day_counters(hub.deps, code)["received"] == 1


class Jammed:
    """A table whose every transaction meets contention (a hot item that never cools)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.jammed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transact(self, ops: Sequence[TransactOp]) -> None:
        if self.jammed:
            raise ContentionError("TransactionConflict")
        self.inner.transact(ops)


def test_contention_beyond_the_retries_is_503_busy_and_writes_nothing(
        aws: None, tmp_path: Path) -> None:
    jammed = Jammed(SqliteTable(tmp_path / "t.sqlite3"))
    sleeps: list[float] = []
    s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                        secret_key=None, path_style=False)
    ensure_bucket(s3, BUCKET)
    deps = make_deps(RetryingTable(jammed, sleep=sleeps.append), S3ObjectStore(s3, BUCKET))
    for hub in world(deps):
        data = os.urandom(100)
        created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
        parts = upload(created.body["upload"], data)
        jammed.jammed = True
        busy = hub.a.post(f"/v1/messages/{created.body['message']['id']}/complete",
                          {"parts": parts})
        assert busy.status == 503 and busy.code == "busy"
        assert busy.headers["retry-after"] == "1" and busy.body["error"]["safe_to_retry"]
        assert len(sleeps) == 7  # every attempt but the first waited, jittered
        jammed.jammed = False
        assert hub.b.get("/v1/inbox").body["items"] == []  # nothing half-written
        again = hub.a.post(f"/v1/messages/{created.body['message']['id']}/complete",
                           {"parts": parts})
        assert again.status == 200 and again.body["message"]["state"] == "verified"
