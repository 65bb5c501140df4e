"""The directory benchmark harness runs (R-PROP-7); a tiny run, numbers not asserted."""

from bench import directory


def test_directory_benchmark_reports_rates_and_ratios() -> None:
    result = directory.run(units=200, queries=20)
    assert result["units"] == 200 and result["queries"] == 20
    assert set(result["per_second_median"]) == {"index_search", "service_search",
                                                "dict_lookup"}
    assert all(rate > 0 for rate in result["per_second_median"].values())
    for key in ("dict_lookups_per_index_search", "dict_lookups_per_service_search",
                "page_ms", "build_ms", "build_over_page"):
        assert result[key] > 0
