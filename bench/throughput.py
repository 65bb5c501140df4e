"""P3 (R-PROP-5): control-plane throughput, complete exchanges of 1 KiB messages per
second with several concurrent senders and receivers, against the bare table and store
operations one exchange needs, run in the same thread layout.

Hub: `senders` threads (one source app each) create a message, PUT its bytes to the
presigned URL and call `complete`; `receivers` threads (the destination) list the inbox,
claim an item no other receiver holds, fetch it, GET the bytes, check the SHA-256 and
confirm. All through the host's REST API, signed, with SeaweedFS and SQLite behind it.

Baseline: the same threads doing only what the exchange must touch, directly: one
3-item transaction (message, delivery, outbox), PutObject, HeadObject, one 3-item
transaction (verified, delivery, inbox entry); then query the inbox, GetObject, one 3-item
transaction (delivery, inbox entry, message) and DeleteObject; on a `SqliteTable` in a
temporary file and boto3 on the same store. Runs alternate hub / baseline.

P3 on PostgreSQL (`run_postgres`) is the same measurement on a host whose table is
PostgreSQL (`LGSP_TABLE_BACKEND=postgres`, a server started in a temporary folder by
`infra.local.postgres.running`, an empty database), against the same bare operations on a
`PostgresTable` on another empty database of that server: each engine's hub is compared
with its own engine's bare operations.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    DEST,
    SOURCE,
    child_pids,
    client_for,
    cpu_seconds,
    median,
    result,
    rounded,
    running_hub,
    s3_client,
    s3_settings,
    skipped,
)
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import Delete, Put, Table, Update
from infra.local.launcher import LocalHub

WHAT = "1 KiB exchanges/s, {s} senders + {r} receivers, vs bare ops"
WHAT_PG = "1 KiB exchanges/s on PostgreSQL, {s} senders + {r} receivers"
POLL_PAUSE = 0.01  # a receiver that found nothing new waits this long before looking again


class Work:
    """Shared by the threads of one run: what to send, what was claimed, when done."""

    def __init__(self, messages: int) -> None:
        self.payloads = [os.urandom(1024) for _ in range(messages)]
        self.next = 0
        self.claimed: set[str] = set()
        self.confirmed = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.errors: list[BaseException] = []

    def take(self) -> bytes | None:
        with self.lock:
            if self.next >= len(self.payloads):
                return None
            self.next += 1
            return self.payloads[self.next - 1]

    def claim(self, key: str) -> bool:
        with self.lock:
            if key in self.claimed:
                return False
            self.claimed.add(key)
            return True

    def finished_one(self) -> None:
        with self.lock:
            self.confirmed += 1
            if self.confirmed == len(self.payloads):
                self.done.set()


def _threads(work: Work, senders: int, receivers: int, send: Callable[[bytes], None],
             receive_round: Callable[[], int]) -> float:
    """Start every thread at once; seconds until the last message is confirmed."""
    def sender() -> None:
        try:
            while (data := work.take()) is not None:
                send(data)
        except BaseException as exc:  # reported after the run
            work.errors.append(exc)
            work.done.set()

    def receiver() -> None:
        try:
            while not work.done.is_set():
                if receive_round() == 0:
                    time.sleep(POLL_PAUSE)
        except BaseException as exc:
            work.errors.append(exc)
            work.done.set()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    threads += [threading.Thread(target=receiver) for _ in range(receivers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    work.done.wait()
    took = time.perf_counter() - started
    for t in threads:
        t.join()
    if work.errors:
        raise RuntimeError(f"{len(work.errors)} thread(s) failed") from work.errors[0]
    return took


def hub_run(hub: LocalHub, messages: int, senders: int, receivers: int) -> float:
    work = Work(messages)
    local = threading.local()

    def client(unit: str) -> Any:
        if not hasattr(local, unit):
            setattr(local, unit, client_for(hub, unit))
        return getattr(local, unit)

    def send(data: bytes) -> None:
        source = client(SOURCE)
        created = source.create_message({
            "to": [DEST], "title": "bench P3", "priority": "thuong",
            "content": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                        "file_name": "p3.bin"}})
        req = created["upload"]["requests"][0]
        source.session.put(req["url"], data=data, headers=req["headers"],
                           timeout=30).raise_for_status()
        source.complete(created["message"]["id"])

    def receive_round() -> int:
        dest, handled = client(DEST), 0
        for item in dest.inbox(limit=50)["items"]:
            if not work.claim(item["id"]):
                continue
            grant = dest.fetch(item["id"])
            got = dest.session.get(grant["url"], headers=grant["headers"], timeout=30)
            got.raise_for_status()
            dest.confirm(item["id"], hashlib.sha256(got.content).hexdigest())
            work.finished_one()
            handled += 1
        return handled

    return _threads(work, senders, receivers, send, receive_round)


def baseline_run(hub: LocalHub, table: Table, messages: int, *, senders: int,
                 receivers: int, tag: str) -> float:
    work = Work(messages)
    s3, bucket = s3_client(hub, pool=senders + receivers), s3_settings(hub)["bucket"]
    ids = iter(range(messages))
    ids_lock = threading.Lock()

    def send(data: bytes) -> None:
        with ids_lock:
            n = next(ids)
        mid, key = f"{tag}{n:08d}", f"bench/p3/{tag}{n:08d}"
        table.transact([Put({"pk": f"MSG#{mid}", "sk": "META", "state": "requested"}),
                        Put({"pk": f"MSG#{mid}", "sk": f"DEST#{DEST}", "state": "pending"}),
                        Put({"pk": f"OUTBOX#{SOURCE}", "sk": mid, "state": "requested"})])
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        s3.head_object(Bucket=bucket, Key=key)
        table.transact([Update(f"MSG#{mid}", "META", set={"state": "verified"}),
                        Update(f"MSG#{mid}", f"DEST#{DEST}", set={"state": "available"}),
                        Put({"pk": f"INBOX#{DEST}", "sk": mid, "id": mid, "key": key})])

    def receive_round() -> int:
        handled = 0
        for item in table.query(f"INBOX#{DEST}", limit=50).items:
            if not work.claim(item["id"]):
                continue
            body = s3.get_object(Bucket=bucket, Key=item["key"])["Body"].read()
            hashlib.sha256(body).hexdigest()
            mid = item["id"]
            table.transact([Update(f"MSG#{mid}", f"DEST#{DEST}", set={"state": "confirmed"}),
                            Delete(f"INBOX#{DEST}", mid),
                            Update(f"MSG#{mid}", "META", set={"state": "completed"})])
            s3.delete_object(Bucket=bucket, Key=item["key"])
            work.finished_one()
            handled += 1
        return handled

    return _threads(work, senders, receivers, send, receive_round)


def _with_cpu(messages: int, run_once: Callable[[], float],
              groups: dict[str, Callable[[], list[int]]],
              cpu: dict[str, list[float]]) -> float:
    """Run once; add each group of processes' CPU milliseconds per exchange to `cpu`
    (each group's processes listed before and after the run: a process that started
    meanwhile counts from zero)."""
    before = {k: {p: cpu_seconds(p) for p in pids()} for k, pids in groups.items()}
    seconds = run_once()
    for k, pids in groups.items():
        used = sum(cpu_seconds(p) - before[k].get(p, 0.0) for p in pids())
        cpu.setdefault(k, []).append(used * 1000 / messages)
    return seconds


def _processes(host: LocalHub, **more: Callable[[], list[int]]) -> dict[
        str, Callable[[], list[int]]]:
    """The hub host, its store (SeaweedFS) and this process (the load generator and, for
    the baseline, the bare operations themselves), and any `more` (a database server)."""
    assert host.proc is not None
    pid = host.proc.pid
    return {"host": lambda: [pid], "store": lambda: child_pids(pid),
            "load_generator": lambda: [os.getpid()], **more}


def _measure(host: LocalHub, table: Table, *, pid: str, what: str, messages: int,
             senders: int, receivers: int, repetitions: int,
             groups: dict[str, Callable[[], list[int]]], **extra: Any) -> dict[str, Any]:
    """Exchanges per second, hub and baseline, `repetitions` alternating runs each."""
    raw: dict[str, list[float]] = {"hub": [], "baseline": []}
    cpu: dict[str, dict[str, list[float]]] = {"hub": {}, "baseline": {}}
    for rep in range(repetitions):
        raw["hub"].append(messages / _with_cpu(messages, lambda: hub_run(
            host, messages, senders, receivers), groups, cpu["hub"]))
        raw["baseline"].append(messages / _with_cpu(messages, lambda rep=rep: baseline_run(
            host, table, messages, senders=senders, receivers=receivers, tag=f"r{rep}-"),
            groups, cpu["baseline"]))
    hub_rate, base_rate = median(raw["hub"]), median(raw["baseline"])
    return result(pid, what.format(s=senders, r=receivers), hub=hub_rate,
                  baseline=base_rate, unit="exchanges/s", ratio=hub_rate / base_rate,
                  direction="higher is better", target=0.5,
                  met=hub_rate / base_rate >= 0.5, messages=messages, senders=senders,
                  receivers=receivers, repetitions=repetitions,
                  raw_per_second={k: rounded(v, 2) for k, v in raw.items()},
                  cpu_ms_per_exchange_median={
                      way: {k: round(median(v), 2) for k, v in per.items()}
                      for way, per in cpu.items()}, **extra)


def run(messages: int = 200, senders: int = 4, receivers: int = 4, repetitions: int = 3,
        hub: LocalHub | None = None) -> dict[str, Any]:
    """P3 on SQLite: the `make run` host against a `SqliteTable` in a temporary file."""
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-p3-") as tmp, \
            running_hub(hub) as host:
        table = SqliteTable(Path(tmp) / "table.sqlite3")
        try:
            return _measure(host, table, pid="P3", what=WHAT, messages=messages,
                            senders=senders, receivers=receivers, repetitions=repetitions,
                            groups=_processes(host), engine="sqlite")
        finally:
            table.close()


def run_postgres(messages: int = 200, senders: int = 4, receivers: int = 4,
                 repetitions: int = 3) -> dict[str, Any]:
    """P3 on PostgreSQL: a host on one empty database of a server started for the run,
    against a `PostgresTable` on another; skipped (with the reason) where PostgreSQL is
    not installed. Its row's id is `P3-pg`."""
    from chalicelib.adapters.table_postgres import PostgresTable
    from infra.local.postgres import PostgresMissing, running

    what = WHAT_PG.format(s=senders, r=receivers)
    try:
        with running() as server:
            hub_dsn, base_dsn = (_empty_database(server.dsn, n) for n in ("hub", "bare"))
            with running_hub(LGSP_TABLE_BACKEND="postgres",
                             LGSP_POSTGRES_DSN=hub_dsn) as host:
                table = PostgresTable(base_dsn, max_size=senders + receivers)
                try:
                    return _measure(host, table, pid="P3-pg", what=WHAT_PG,
                                    messages=messages, senders=senders, receivers=receivers,
                                    repetitions=repetitions, engine="postgres",
                                    groups=_processes(host, database=lambda: _server_pids(
                                        server.folder)))
                finally:
                    table.close()
    except PostgresMissing as exc:
        return skipped("P3-pg", what, str(exc))


def _empty_database(server_dsn: str, name: str) -> str:
    """A new database `name` on the server of `server_dsn` (which must not have it); its
    DSN."""
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_dsn.rsplit("/", 1)[0] + f"/{name}"


def _server_pids(folder: Path) -> list[int]:
    """The PostgreSQL server's processes: the postmaster (first line of its pid file) and
    its children (one backend per connection, the background workers)."""
    pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    return [pid, *child_pids(pid)]
