"""The report benchmark (REP, docs/performance.md) runs and its read counts, which are
exact, show the bounds: a unit's report reads the same items whatever the province's size,
the province's at most its shards' month and days, the ranking one line per unit."""

from __future__ import annotations

from bench import reports


def test_the_report_benchmark_counts_bounded_reads() -> None:
    row = reports.run(big=40, small=5, repetitions=1)
    assert row["id"] == "REP" and row["status"] == "ok" and row["met"] is True
    reads = row["reads"]
    assert reads["unit_big"] == reads["unit_small"]
    assert reads["province_big"]["items"] <= row["province_items_bound"]
    assert reads["province_big"]["requests"] == reads["province_small"]["requests"]
    # Every unit had traffic: its line, plus the directory version's GetItem.
    assert reads["ranking_big"] == {"requests": 2, "items": 40 + 1}
    assert set(row["time_ratio"]) == {"unit", "province", "ranking"}
