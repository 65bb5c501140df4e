"""P4 (R-PROP-5): billable backend requests per message per destination, counted, and
what a million messages cost on AWS list prices, against a design that streams the
content through the function.

An in-process hub (the real app through chalice's test client, signed calls) runs on a
temporary SQLite table and on the SeaweedFS of a host started for the purpose. Its `Table`
port is wrapped by a counter (one request per get/put/update/delete/query/transact, and
the write and read units DynamoDB would bill: 2 per KiB for each transaction item,
1 per KiB for a single write, 1 per 4 KiB strongly consistent read); the S3 client counts
every request with a boto3 `before-send` hook; the presigned PUT and GET the agency sends
itself are counted where they are sent. Events published for push are counted too (an SNS
publish and an `on_event` invocation each on AWS). A warm-up message is not counted (it
pays the hourly key-use stamp).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from bench.common import result, running_hub, s3_client, s3_settings
from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.adapters.table_items import dumps
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import Condition, Item, Page, Put, TransactOp, Update
from infra.local.launcher import LocalHub
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World, content_request, make_deps, world

WHAT = "table+S3 requests per message per destination (1 KiB)"
KiB = 1024
# AWS list prices, ap-southeast-1 (Singapore), USD, as published on the AWS pricing pages
# in 2025 (DynamoDB on demand after the November 2024 reduction). Re-check before quoting.
PRICES = {
    "as_of": "2025-06", "region": "ap-southeast-1",
    "dynamodb_per_million_wru": 0.7125, "dynamodb_per_million_rru": 0.1425,
    "s3_per_thousand_put_class": 0.005, "s3_per_thousand_get_class": 0.0004,
    "lambda_per_million_requests": 0.20, "lambda_per_gb_second": 0.0000166667,
    "api_gateway_rest_per_million": 4.25, "sns_per_million_publishes": 0.50,
}
LAMBDA_GB = 0.125            # 128 MiB functions
STREAM_MB_PER_S = 50.0       # assumed function throughput when content passes through it
LAMBDA_PAYLOAD = 6 * 1000 * 1000  # a synchronous invocation carries at most 6 MB
S3_PUT_CLASS = frozenset({"PutObject", "CreateMultipartUpload", "UploadPart",
                          "CompleteMultipartUpload", "CopyObject", "ListParts",
                          "ListObjectsV2", "PresignedPUT"})


class Counts:
    """Requests by phase (which API call caused them) and by operation."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.table: dict[str, Counter[str]] = defaultdict(Counter)
        self.s3: dict[str, Counter[str]] = defaultdict(Counter)
        self.units: Counter[str] = Counter()
        self.events = 0
        self.api_calls: Counter[str] = Counter()
        self.api_seconds: list[float] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def _wu(item: Item | None) -> int:
    return max(1, math.ceil(len(dumps(item)) / KiB)) if item else 1


def _ru(size: int) -> int:
    return max(1, math.ceil(size / (4 * KiB)))


class CountingTable:
    """The `Table` port, counting what DynamoDB would bill for each call."""

    def __init__(self, inner: SqliteTable, counts: Counts) -> None:
        self.inner, self.c = inner, counts

    def _count(self, op: str, *, wru: int = 0, rru: int = 0) -> None:
        self.c.table[self.c.phase][op] += 1
        self.c.units["wru"] += wru
        self.c.units["rru"] += rru

    def get(self, pk: str, sk: str) -> Item | None:
        item = self.inner.get(pk, sk)
        self._count("get", rru=_ru(len(dumps(item)) if item else 1))
        return item

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        """One BatchGetItem: one request, each item's read units."""
        items = self.inner.get_many(keys)
        self._count("get_many", rru=sum(_ru(len(dumps(i)) if i else 1) for i in items))
        return items

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self._count("put", wru=_wu(item))
        self.inner.put(item, condition)

    def update(self, op: Update) -> Item:
        item = self.inner.update(op)
        self._count("update", wru=_wu(item))
        return item

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self._count("delete", wru=1)
        self.inner.delete(pk, sk, condition)

    def query(self, pk: str, **kw: Any) -> Page:
        page = self.inner.query(pk, **kw)
        self._count("query", rru=_ru(sum(len(dumps(i)) for i in page.items)))
        return page

    def transact(self, ops: Sequence[TransactOp]) -> None:
        units = sum(2 * (_wu(op.item) if isinstance(op, Put) else 1) for op in ops)
        self._count("transact", wru=units)
        self.c.table[self.c.phase]["transact_items"] += len(ops)
        self.inner.transact(ops)


def _count_s3(counts: Counts, client: Any) -> None:
    def before_send(event_name: str = "", **_: Any) -> None:
        counts.s3[counts.phase][event_name.rsplit(".", 1)[-1]] += 1

    client.meta.events.register("before-send.s3", before_send)


@contextmanager
def _hub(host: LocalHub, counts: Counts, folder: Path) -> Iterator[World]:
    s3 = s3_client(host)
    _count_s3(counts, s3)
    table = SqliteTable(folder / "table.sqlite3")
    deps = make_deps(CountingTable(table, counts), S3ObjectStore(s3, s3_settings(host)["bucket"]))

    def on_event(_: Any) -> None:
        counts.events += 1

    deps.topic.subscribe(on_event)  # type: ignore[attr-defined]
    try:
        yield from world(deps)
    finally:
        table.close()


def _call(counts: Counts, phase: str, fn: Any, *args: Any, **kw: Any) -> Any:
    counts.phase = phase
    counts.api_calls[phase] += 1
    started = time.perf_counter()
    reply = fn(*args, **kw)
    counts.api_seconds.append(time.perf_counter() - started)
    if reply.status >= 300:
        raise RuntimeError(f"{phase}: {reply.status} {reply.body}")
    return reply.body


def _exchange(w: World, counts: Counts, destinations: list[str], size: int) -> None:
    """One message the way an agency sends and its destinations receive it."""
    data = os.urandom(size)
    body = _call(counts, "create", w.a.post, "/v1/messages", content_request(data, destinations))
    message_id = body["message"]["id"]
    counts.phase = "upload (presigned PUT)"
    for req in body["upload"]["requests"]:
        counts.s3[counts.phase]["PresignedPUT"] += 1
        requests.put(req["url"], data=data, headers=req["headers"], timeout=30
                     ).raise_for_status()
    _call(counts, "complete", w.a.post, f"/v1/messages/{message_id}/complete", {"parts": []})
    receivers = {UNIT_B: w.b, UNIT_C: w.c}
    for unit in destinations:
        rx = receivers.get(unit) or w.a
        _call(counts, "inbox", rx.get, "/v1/inbox?limit=50")
        grant = _call(counts, "fetch", rx.post, f"/v1/messages/{message_id}/fetch")
        counts.phase = "download (presigned GET)"
        counts.s3[counts.phase]["PresignedGET"] += 1
        got = requests.get(grant["url"], headers=grant["headers"], timeout=30)
        got.raise_for_status()
        _call(counts, "confirm", rx.post, f"/v1/messages/{message_id}/confirm",
              {"sha256": hashlib.sha256(got.content).hexdigest()})


def _totals(counts: Counts, messages: int, destinations: int) -> dict[str, Any]:
    per = messages * destinations
    table = sum(n for ph in counts.table.values() for op, n in ph.items()
                if op != "transact_items")
    s3 = sum(sum(ph.values()) for ph in counts.s3.values())
    put_class = sum(n for ph in counts.s3.values() for op, n in ph.items() if op in S3_PUT_CLASS)
    get_class = sum(n for ph in counts.s3.values() for op, n in ph.items()
                    if op not in S3_PUT_CLASS and op != "DeleteObject")
    by_phase = {phase: {
        "table": {k: round(v / messages, 2) for k, v in counts.table[phase].items()},
        "s3": {k: round(v / messages, 2) for k, v in counts.s3[phase].items()}}
        for phase in sorted(set(counts.table) | set(counts.s3))}
    return {
        "messages": messages, "destinations": destinations,
        "requests_per_message_per_destination": round((table + s3) / per, 2),
        "table_requests_per_message": round(table / messages, 2),
        "s3_requests_per_message": round(s3 / messages, 2),
        "wru_per_message": round(counts.units["wru"] / messages, 2),
        "rru_per_message": round(counts.units["rru"] / messages, 2),
        "s3_put_class_per_message": round(put_class / messages, 2),
        "s3_get_class_per_message": round(get_class / messages, 2),
        "api_calls_per_message": round(sum(counts.api_calls.values()) / messages, 2),
        "events_per_message": round(counts.events / messages, 2),
        "api_call_ms_median": round(sorted(counts.api_seconds)[len(counts.api_seconds) // 2]
                                    * 1000, 1),
        "by_phase_per_message": by_phase,
    }


def dollars_per_million(t: dict[str, Any], size: int, *, streaming: bool) -> float:
    """$ for 1,000,000 messages of `size` bytes with the counted requests; `streaming`
    adds the content passing through the function: one upload pass and one download pass
    per destination, each in 6 MB invocations at 128 MiB and `STREAM_MB_PER_S`."""
    p, m = PRICES, 1_000_000
    calls = t["api_calls_per_message"]
    gb_s = calls * LAMBDA_GB * math.ceil(t["api_call_ms_median"]) / 1000
    invocations = calls + t["events_per_message"]
    if streaming:
        passes = 1 + t["destinations"]
        invocations_stream = passes * max(1, math.ceil(size / LAMBDA_PAYLOAD))
        invocations += invocations_stream
        calls += invocations_stream
        gb_s += passes * LAMBDA_GB * size / (STREAM_MB_PER_S * 1e6)
    per_message = (
        t["wru_per_message"] * p["dynamodb_per_million_wru"] / m
        + t["rru_per_message"] * p["dynamodb_per_million_rru"] / m
        + t["s3_put_class_per_message"] * p["s3_per_thousand_put_class"] / 1000
        + t["s3_get_class_per_message"] * p["s3_per_thousand_get_class"] / 1000
        + invocations * p["lambda_per_million_requests"] / m
        + gb_s * p["lambda_per_gb_second"]
        + calls * p["api_gateway_rest_per_million"] / m
        + t["events_per_message"] * p["sns_per_million_publishes"] / m)
    return round(per_message * m, 2)


def run(messages: int = 20, size: int = KiB, hub: LocalHub | None = None) -> dict[str, Any]:
    """Count `messages` exchanges to 1 and to 3 destinations; price both designs."""
    counts = Counts()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-p4-") as tmp, \
            running_hub(hub) as host, _hub(host, counts, Path(tmp)) as w:
        for label, dests in (("1", [UNIT_B]), ("3", [UNIT_B, UNIT_C, UNIT_A])):
            _exchange(w, counts, dests, size)  # warm-up: hourly key-use stamps
            counts.reset()
            for _ in range(messages):
                _exchange(w, counts, dests, size)
            out[label] = _totals(counts, messages, len(dests))
    sizes = {"1 KiB": KiB, "8 MiB": 8 * 1024 * KiB}
    for t in out.values():
        t["usd_per_million_messages"] = {
            name: {"hub": dollars_per_million(t, s, streaming=False),
                   "streaming": dollars_per_million(t, s, streaming=True)}
            for name, s in sizes.items()}
    one = out["1"]
    hub_usd = one["usd_per_million_messages"]["1 KiB"]["hub"]
    stream_usd = one["usd_per_million_messages"]["1 KiB"]["streaming"]
    passes = 1 + one["destinations"]  # the content goes through the function once up,
    stream_requests = (one["requests_per_message_per_destination"]  # once down per dest
                       + passes * max(1, math.ceil(size / LAMBDA_PAYLOAD)) / one["destinations"])
    requests_1 = one["requests_per_message_per_destination"]
    return result("P4", WHAT, hub=requests_1, baseline=stream_requests,
                  unit="requests/msg/dest", ratio=hub_usd / stream_usd,
                  direction="lower is better ($ hub / $ streaming)", target=12,
                  met=requests_1 <= 12, destinations=out, prices=PRICES,
                  assumptions={"lambda_gb": LAMBDA_GB, "stream_mb_per_s": STREAM_MB_PER_S,
                               "lambda_payload_bytes": LAMBDA_PAYLOAD,
                               "control_call_duration": "median in-process API call"})
