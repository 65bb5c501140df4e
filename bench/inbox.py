"""P6 (R-PROP-5): inbox listing latency with 100,000 messages of history against 100.

Two in-process hubs on their own SQLite files are seeded through the `Table` port in
transactions of 33 messages, item shapes as `services/fanout.py` writes them: for each
message an inbox entry of the destination, an outbox entry and a `sent` history line of
the source (priorities mixed, so the inbox's priority-then-age order is exercised). Then,
alternating between the two hubs, `GET /v1/inbox?limit=50` is timed both as the use case
alone (`services.receive.inbox`) and through the whole signed route (chalice's test
client: signature check, key lookups, nonce write, rendering). A listing is one query of
the unit's inbox partition whatever the history, which is what this checks.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from chalice.test import Client

from bench.common import median, result, rounded
from chalicelib import bootstrap
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain import keys
from chalicelib.domain.lifecycle import DeliveryState, MessageState, inbox_sort_key as sort_key
from chalicelib.domain.ports import ObjectStore, Put, TransactOp
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import province_month
from chalicelib.services import receive, registry
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, SignedClient, make_deps

WHAT = "inbox list (limit 50) with {big:,} messages vs {small:,}"
PRIORITIES = [("hoa_toc", 0), ("thuong_khan", 1), ("khan", 2), ("thuong", 3)]
BATCH = 33  # messages per transaction: 3 items each, under the 100-item limit


def _ops(n: int, start: int, rng: random.Random) -> list[TransactOp]:
    """Inbox entry (destination), outbox entry and history line (source) of message n."""
    message_id = f"{n:012x}{rng.getrandbits(64):016x}"
    priority, rank = PRIORITIES[0 if rng.random() < 0.02 else rng.randrange(1, 4)]
    at = start + n
    ipk, isk = keys.inbox(UNIT_B, sort_key(rank, at, message_id))
    opk, osk = keys.outbox(UNIT_A, at, message_id)
    hpk, hsk = keys.history(UNIT_A, province_month(at), at, message_id, "sent")
    return [
        Put({"pk": ipk, "sk": isk, "kind": "inbox", "id": message_id, "source": UNIT_A,
             "title": f"Công văn số {n}/STC về việc báo cáo", "priority": priority,
             "data_type": "document", "protocol": "file", "size": 1024 + n % 5000,
             "file_name": f"cong-van-{n}.pdf", "content_type": "application/pdf",
             "state": DeliveryState.AVAILABLE, "available_at": at,
             "confirm_by": at + 7 * 86400}),
        Put({"pk": opk, "sk": osk, "kind": "outbox", "id": message_id, "to": [UNIT_B],
             "title": f"Công văn số {n}/STC", "priority": priority,
             "state": MessageState.VERIFIED,
             "created_at": at}),
        Put({"pk": hpk, "sk": hsk, "kind": "history", "at": at, "message": message_id,
             "event": "sent", "peer": [UNIT_B], "size": 1024 + n % 5000}),
    ]


def seed(deps: Deps, messages: int, seed_value: int = 53) -> float:
    """Write `messages` messages' items; returns the seconds it took."""
    rng = random.Random(seed_value)
    start = deps.clock.now() - messages - 60
    started = time.perf_counter()
    for first in range(0, messages, BATCH):
        ops: list[TransactOp] = []
        for n in range(first, min(first + BATCH, messages)):
            ops += _ops(n, start, rng)
        deps.table.transact(ops)
    return time.perf_counter() - started


class Hub:
    """One seeded in-process hub and a signed client of the destination's app."""

    def __init__(self, folder: Path, messages: int) -> None:
        self.table = SqliteTable(folder / f"table-{messages}.sqlite3")
        self.deps = make_deps(self.table, cast(ObjectStore, object()), FakeClock())
        for code in (UNIT_A, UNIT_B):
            registry.create_unit(self.deps, code, f"Đơn vị {code}")
        self.creds = registry.create_app(self.deps, UNIT_B, "app")
        self.caller = Caller(unit=UNIT_B, app=self.creds.app, key_id=self.creds.access_key,
                             algorithm="hmac-sha256", nonce=None, created=self.deps.clock.now())
        self.seed_seconds = seed(self.deps, messages)
        self.messages = messages

    def service(self) -> float:
        started = time.perf_counter()
        page = receive.inbox(self.deps, self.caller, limit=50, cursor=None)
        took = time.perf_counter() - started
        assert len(page.items) == min(50, self.messages)
        return took

    def route(self, http: Client) -> float:
        bootstrap.install(self.deps)
        signed = SignedClient(http, self.deps, self.creds)
        started = time.perf_counter()
        reply = signed.get("/v1/inbox?limit=50")
        took = time.perf_counter() - started
        assert reply.status == 200, reply.body
        return took


def run(big: int = 100_000, small: int = 100, calls: int = 50,
        repetitions: int = 5) -> dict[str, Any]:
    """Median latency of `calls` x `repetitions` listings on each hub, interleaved."""
    from app import app

    logging.getLogger("lgsp.api").setLevel(logging.WARNING)  # one line per call otherwise
    raw: dict[str, list[float]] = {k: [] for k in ("service_big", "service_small",
                                                   "route_big", "route_small")}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-p6-") as tmp, Client(app) as http:
        hubs = {"small": Hub(Path(tmp), small), "big": Hub(Path(tmp), big)}
        try:
            for _ in range(repetitions):
                for name, hub in hubs.items():
                    raw[f"service_{name}"] += [hub.service() for _ in range(calls)]
                    raw[f"route_{name}"] += [hub.route(http) for _ in range(calls)]
        finally:
            bootstrap.install(None)
            for hub in hubs.values():
                hub.table.close()
    med = {k: median(v) * 1000 for k, v in raw.items()}
    ratio = med["service_big"] / med["service_small"]
    return result("P6", WHAT.format(big=big, small=small), hub=med["service_big"],
                  baseline=med["service_small"], unit="ms", ratio=ratio,
                  direction="lower is better", target=1.5,
                  met=ratio <= 1.5, messages={"big": big, "small": small},
                  calls=calls * repetitions,
                  route_ms_median={"big": round(med["route_big"], 3),
                                   "small": round(med["route_small"], 3)},
                  route_ratio=round(med["route_big"] / med["route_small"], 3),
                  seed_seconds={k: round(h.seed_seconds, 1) for k, h in hubs.items()},
                  raw_ms={k: rounded([x * 1000 for x in v[:: max(1, calls // 10)]], 3)
                          for k, v in raw.items()})
