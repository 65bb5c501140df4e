"""The R-PROP-5 harness runs and reports the agreed shape (tiny sizes, no host: the host
benchmarks run only under `make bench`); the numbers themselves are not asserted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench import billing, cold_start, inbox, report
from bench.common import machine, result, skipped

SHAPE = {"id", "what", "hub", "baseline", "unit", "ratio", "direction", "target", "met",
         "status"}


def test_cold_start_reports_medians_raw_samples_and_a_ratio() -> None:
    row = cold_start.run(samples=1)
    assert set(row) >= SHAPE and row["id"] == "P5" and isinstance(row["met"], bool)
    assert set(row["raw_import_ms"]) == {"app", "boto3", "source_only"}
    assert row["source_only"]["hub"] > 0 and row["source_only"]["ratio"] > 0
    assert row["hub"] > 0 and row["baseline"] > 0
    assert "packages_ms" in row["heaviest_imports_of_app"]
    assert row["first_inbox_call_imports_ms"] > 0


def test_the_cold_first_request_is_timed_to_a_real_answer_against_boto3() -> None:
    """P5b: the probe must be answered 200 with the seeded inbox, or the row fails."""
    row = cold_start.run_first_request(samples=1)
    assert set(row) >= SHAPE and row["id"] == "P5b" and isinstance(row["met"], bool)
    assert set(row["raw_ms"]) == {"hub", "hub_import", "hub_wall", "baseline", "baseline_wall",
                                  "baseline_client", "source_only"}
    probe = row["without_a_client"]["hub"]  # the row adds the DynamoDB client AWS builds
    assert 0 < row["import_app_ms_median"] < probe < row["hub"]
    assert probe < row["process_ms_median"]["hub"]
    assert row["baseline"] < row["process_ms_median"]["baseline"]


def test_the_cold_probes_run_the_bytecode_as_shipped_or_the_hub_from_source() -> None:
    """`shipped_bytecode`: with the first environment every module the probe loads comes
    from the unchecked-hash `.pyc` compiled for it; with the second, the hub's own
    modules have none (compiled at each start) while the libraries' still do."""
    code = ("import json, os, app, pydantic\n"
            "print(json.dumps([os.path.exists(m.__cached__) for m in (app, pydantic)]))")
    env = dict(os.environ)
    with cold_start.shipped_bytecode([(code, env, ())]) as (shipped, source):
        assert cold_start._probe(code, {**env, **shipped})[0] == [True, True]
        assert cold_start._probe(code, {**env, **source})[0] == [False, True]
        pyc = next(Path(shipped["PYTHONPYCACHEPREFIX"]).rglob("app.*.pyc")).read_bytes()
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, unchecked, as shipped


def test_inbox_latency_compares_a_big_history_with_a_small_one() -> None:
    row = inbox.run(big=300, small=10, calls=2, repetitions=1)
    assert set(row) >= SHAPE and row["id"] == "P6"
    assert row["messages"] == {"big": 300, "small": 10}
    assert set(row["route_ms_median"]) == {"big", "small"}


def _totals(destinations: int) -> dict[str, Any]:
    return {"destinations": destinations, "api_calls_per_message": 5,
            "api_call_ms_median": 4.0, "events_per_message": 3, "wru_per_message": 50,
            "rru_per_message": 30, "s3_put_class_per_message": 1,
            "s3_get_class_per_message": 2}


def test_streaming_through_the_function_costs_more_and_grows_with_size() -> None:
    t = _totals(1)
    small = billing.dollars_per_million(t, 1024, streaming=True)
    big = billing.dollars_per_million(t, 8 * 1024 * 1024, streaming=True)
    assert 0 < billing.dollars_per_million(t, 1024, streaming=False) < small < big


def test_the_table_shows_every_row_and_skips_with_a_reason() -> None:
    rows = [result("P1", "x", hub=1.0, baseline=2.0, unit="MiB/s", ratio=2.0,
                   direction="higher is better", target=0.9, met=True),
            skipped("P2", "y", "no sshd")]
    text = report.table(rows)
    assert "P1" in text and "skipped: no sshd" in text and "≥ 0.9" in text
    assert report.table(rows, markdown=True).count("\n") == 3
    sweep = {"upload_mib_per_s": {"5MiB x 2": 1.0, "8MiB x 2": 2.0},
             "download_mib_per_s": {"8MiB x 1": 3.0, "8MiB x 2": 4.0}}
    assert "8MiB" in report.sweep_table(sweep)
    down = report.sweep_table(sweep, "download_mib_per_s")
    assert "| 8MiB | 3.0 | 4.0 |" in down
    assert {"cores", "memory_gib"} <= set(machine())
