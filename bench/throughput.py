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
)
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import Delete, Put, Update
from infra.local.launcher import LocalHub

WHAT = "1 KiB exchanges/s, {s} senders + {r} receivers, vs bare ops"
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


def baseline_run(hub: LocalHub, table: SqliteTable, messages: int, *, senders: int,
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


def _with_cpu(host: LocalHub, messages: int, run_once: Callable[[], float],
              cpu: dict[str, list[float]]) -> float:
    """Run once; add each process's CPU milliseconds per exchange to `cpu`: the hub host,
    its store (SeaweedFS) and this process (the load generator and, for the baseline,
    the bare operations themselves)."""
    assert host.proc is not None
    pids = {"host": [host.proc.pid], "store": child_pids(host.proc.pid),
            "load_generator": [os.getpid()]}
    before = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
    seconds = run_once()
    for k, v in pids.items():
        cpu.setdefault(k, []).append(
            (sum(cpu_seconds(p) for p in v) - before[k]) * 1000 / messages)
    return seconds


def run(messages: int = 200, senders: int = 4, receivers: int = 4, repetitions: int = 3,
        hub: LocalHub | None = None) -> dict[str, Any]:
    """Exchanges per second, hub and baseline, `repetitions` alternating runs each."""
    raw: dict[str, list[float]] = {"hub": [], "baseline": []}
    cpu: dict[str, dict[str, list[float]]] = {"hub": {}, "baseline": {}}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-p3-") as tmp, \
            running_hub(hub) as host:
        table = SqliteTable(Path(tmp) / "table.sqlite3")
        try:
            for rep in range(repetitions):
                raw["hub"].append(messages / _with_cpu(host, messages, lambda: hub_run(
                    host, messages, senders, receivers), cpu["hub"]))
                raw["baseline"].append(messages / _with_cpu(host, messages, lambda rep=rep:
                    baseline_run(host, table, messages, senders=senders,
                                 receivers=receivers, tag=f"r{rep}-"), cpu["baseline"]))
        finally:
            table.close()
    hub_rate, base_rate = median(raw["hub"]), median(raw["baseline"])
    return result("P3", WHAT.format(s=senders, r=receivers), hub=hub_rate,
                  baseline=base_rate, unit="exchanges/s", ratio=hub_rate / base_rate,
                  direction="higher is better", target=0.5,
                  met=hub_rate / base_rate >= 0.5, messages=messages, senders=senders,
                  receivers=receivers, repetitions=repetitions,
                  raw_per_second={k: rounded(v, 2) for k, v in raw.items()},
                  cpu_ms_per_exchange_median={
                      way: {k: round(median(v), 2) for k, v in per.items()}
                      for way, per in cpu.items()})
