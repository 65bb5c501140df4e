"""What the SCALE benchmark (issue 17) computes, without a host: its units' codes, its
sizes, and the figures that say whether a cost grows linearly (the host run itself is
tests/e2e/test_bench_scale_e2e.py)."""

from __future__ import annotations

from bench import scale
from chalicelib.domain import identifiers


def test_the_units_of_a_thousand_destinations_have_valid_distinct_codes() -> None:
    codes = scale.unit_codes(1000)
    assert len(set(codes)) == 1000
    assert {identifiers.parse(code).level for code in codes} == {4}


def test_sizes_step_by_ten_up_to_the_largest() -> None:
    assert scale.sizes_up_to(1000) == [1, 10, 100, 1000]
    assert scale.sizes_up_to(50) == [1, 10, 50]
    assert scale.sizes_up_to(1) == [1]


def test_a_fixed_cost_plus_a_linear_one_is_met_and_its_marginal_ratio_is_one() -> None:
    linear = scale.growth({n: 0.010 + 0.0001 * n for n in (1, 10, 100, 1000)})
    assert linear["ratio"] < 1
    assert linear["marginal_ms"]["100-1000"] == 0.1
    assert linear["marginal_ratio"] == 1.0


def test_a_quadratic_cost_shows_in_the_marginal_ratio_and_the_ratio() -> None:
    quadratic = scale.growth({n: 0.001 * n * n for n in (1, 10, 100, 1000)})
    assert quadratic["ratio"] > 1
    assert quadratic["marginal_ratio"] is not None and quadratic["marginal_ratio"] > 5
