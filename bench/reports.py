"""REP (R-PROP-11, R-PROP-12): a month's reports in a province of 1,000 units against one
of 10, by the table items each report reads and by its time.

Two in-process hubs on their own SQLite files, each with its units registered (the
synthetic province of `bench/directory.py`) and a month of traffic counted through the
real path: for every unit and every day of November 2026, a tally (a day's exchanges:
sent and received by priority, bytes, rejections, failures, expiries, confirmation
latencies) is written, then added by the sweeper's drain (`services/counters.py`), whose
transactions write the unit's day and month counters, the province's shards and the
month's ranking. Then, alternating between the hubs, each report's use case
(`services/reports.py`) runs on a table that counts what it reads: requests, and items
(a GetItem 1, a Query the items it returns). Item counts are exact; times are medians.

A unit's and the province's reports must read the same bounded number of items whatever
the number of units (the province's: its 8 shards' month item and days); the ranking
reads one line per unit that had traffic, in one paged query, never a scan.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

from bench.common import median, result, rounded
from bench.directory import _load, synthetic_units
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain import keys, traffic
from chalicelib.domain.periods import Period, parse
from chalicelib.domain.ports import Condition, Item, ObjectStore, Page, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import province_midnight
from chalicelib.services import counters, reports
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.hub import make_deps

OPERATOR = "000.00.30.H98"  # not among the synthetic units (H99)
MONTH = "2026-11"
WHAT = "month reports, {big:,} units vs {small:,}: items read by the province's"
KINDS = ("unit", "province", "ranking")


class ReadCountingTable:
    """The `Table` port, counting reads: requests, and the items they return."""

    def __init__(self, inner: SqliteTable) -> None:
        self.inner = inner
        self.requests = 0
        self.items = 0

    def reset(self) -> None:
        self.requests = self.items = 0

    def get(self, pk: str, sk: str) -> Item | None:
        self.requests += 1
        self.items += 1
        return self.inner.get(pk, sk)

    def get_many(self, keys: Any) -> list[Item | None]:
        self.requests += 1
        self.items += len(keys)
        return self.inner.get_many(keys)  # type: ignore[no-any-return]

    def query(self, pk: str, **kw: Any) -> Page:
        page = self.inner.query(pk, **kw)
        self.requests += 1
        self.items += len(page.items)
        return page

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self.inner.put(item, condition)

    def update(self, op: Update) -> Item:
        return self.inner.update(op)

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self.inner.delete(pk, sk, condition)

    def transact(self, ops: list[TransactOp]) -> None:
        self.inner.transact(ops)


def _day_counts(rng: random.Random) -> dict[str, int]:
    """One unit's day: a few exchanges each way, priorities and latencies mixed."""
    counts: Counter[str] = Counter()
    for _ in range(rng.randint(1, 6)):
        size = rng.randint(1_000, 2_000_000)
        counts.update(traffic.sent(rng.choice(traffic.PRIORITIES), size))
    for _ in range(rng.randint(0, 6)):
        counts.update(traffic.received(rng.choice(traffic.PRIORITIES),
                                       rng.randint(1_000, 2_000_000),
                                       int(rng.expovariate(1 / 900))))
    counts.update({"rejected": int(rng.random() < 0.1), "failures": int(rng.random() < 0.05),
                   "expired": int(rng.random() < 0.05)})
    return {k: v for k, v in counts.items() if v}


def count_month(deps: Deps, codes: list[str], rng: random.Random) -> float:
    """A tally per unit per day of the month, written then drained; returns seconds."""
    clock = cast(FakeClock, deps.clock)
    started = time.perf_counter()
    period = parse("month", MONTH)
    for day in period.days:
        clock.value = province_midnight(day) + 12 * 3600
        puts = [counters.tally(deps, code, **_day_counts(rng)) for code in codes]
        for start in range(0, len(puts), 100):
            deps.table.transact(puts[start:start + 100])
    clock.value = period.end + counters.SETTLE_AFTER + 1
    while counters.drain(deps, limit=10_000):
        pass
    return time.perf_counter() - started


class Hub:
    """One province: its units registered, its month counted, an operator to ask."""

    def __init__(self, folder: Path, units: int) -> None:
        self.sqlite = SqliteTable(folder / f"table-{units}.sqlite3")
        self.table = ReadCountingTable(self.sqlite)
        self.deps = make_deps(self.table, cast(ObjectStore, object()), FakeClock(),
                              operator_units=OPERATOR)
        rows = synthetic_units(units)
        _load(self.deps, rows)
        self.codes = [code for code, _, _ in rows]
        self.count_seconds = count_month(self.deps, self.codes, random.Random(units))
        self.units = units
        self.caller = Caller(unit=OPERATOR, app="bench", key_id="bench",
                             algorithm="hmac-sha256", nonce=None, created=0)
        self.period: Period = parse("month", MONTH)
        self.table.reset()
        self.first_ranking = self.measure("ranking")[1:]  # builds the directory index

    def call(self, kind: str) -> object:
        if kind == "unit":
            return reports.unit_report(self.deps, self.caller, self.codes[0], self.period)
        if kind == "province":
            return reports.province_report(self.deps, self.caller, self.period)
        return reports.ranking(self.deps, self.caller, self.period, "sent", 50)

    def measure(self, kind: str) -> tuple[float, int, int]:
        """(seconds, requests, items) of one report."""
        self.table.reset()
        started = time.perf_counter()
        self.call(kind)
        took = time.perf_counter() - started
        return took, self.table.requests, self.table.items


def run(big: int = 1000, small: int = 10, repetitions: int = 15) -> dict[str, Any]:
    """Each report `repetitions` times on each hub, interleaved."""
    times: dict[str, list[float]] = {f"{k}_{h}": [] for k in KINDS for h in ("big", "small")}
    reads: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-rep-") as tmp:
        hubs = {"small": Hub(Path(tmp), small), "big": Hub(Path(tmp), big)}
        try:
            for _ in range(repetitions):
                for name, hub in hubs.items():
                    for kind in KINDS:
                        took, requests, items = hub.measure(kind)
                        times[f"{kind}_{name}"].append(took)
                        reads[f"{kind}_{name}"] = (requests, items)
        finally:
            for hub in hubs.values():
                hub.sqlite.close()
    med = {k: median(v) * 1000 for k, v in times.items()}
    items = {k: v[1] for k, v in reads.items()}
    ratio = items["province_big"] / items["province_small"]
    bound = keys.PROVINCE_SHARDS * (1 + 31) + 1
    return result(
        "REP", WHAT.format(big=big, small=small), hub=items["province_big"],
        baseline=items["province_small"], unit="items", ratio=ratio,
        direction="lower is better", target=1.5,
        met=items["province_big"] <= bound and items["unit_big"] == items["unit_small"],
        units={"big": big, "small": small}, month=MONTH, repetitions=repetitions,
        province_items_bound=bound,
        reads={k: {"requests": v[0], "items": v[1]} for k, v in sorted(reads.items())},
        items_ratio={k: round(items[f"{k}_big"] / items[f"{k}_small"], 2) for k in KINDS},
        ms_median={k: round(v, 3) for k, v in sorted(med.items())},
        time_ratio={k: round(med[f"{k}_big"] / med[f"{k}_small"], 2) for k in KINDS},
        first_ranking_after_a_directory_change={
            name: {"requests": h.first_ranking[0], "items": h.first_ranking[1]}
            for name, h in hubs.items()},
        counting_seconds={name: round(h.count_seconds, 1) for name, h in hubs.items()},
        raw_ms={k: rounded([x * 1000 for x in v], 3) for k, v in times.items()})
