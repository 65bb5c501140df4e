"""The SCALE benchmark's harness (issue 17, R-PROP-1, R-COMP-5) at its `--quick` sizes
against a fresh `make run` host: units imported and given apps through the operator
routes, a message to each size of destinations verified and delivered (the benchmark reads
every delivery back and refuses a run that lacks one), and every connection hearing of
its broadcast. The timings themselves are not asserted: only that they were taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scale
from tests.e2e.conftest import started_hub

pytestmark = pytest.mark.e2e

def test_quick_scale_run_delivers_to_every_destination_and_connection(tmp_path: Path
                                                                      ) -> None:
    with started_hub(tmp_path / "var") as hub:
        result = scale.run(destinations=50, connections=20, repetitions=1, hub=hub)
    assert result["units"] == 50
    fan, push = result["fan_out"], result["push"]
    assert fan["destinations"] == [1, 10, 50] and push["connections"] == [1, 10, 20]
    assert set(fan["per_ms"]) == {"1", "10", "50"} and set(push["per_ms"]) == {"1", "10", "20"}
    for n in ("1", "10", "20"):
        timing = push["median_s"][n]
        assert 0 < timing["first_push_s"] <= timing["last_push_s"]
    assert all(fan["median_s"][n]["total_s"] > 0 for n in ("1", "10", "50"))
    assert isinstance(result["met"], bool)
