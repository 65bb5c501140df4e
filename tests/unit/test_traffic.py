"""What the counters count and how reports read them (R-PROP-11, R-PROP-12): the latency
histogram's buckets and its percentile rule (the upper edge of the bucket holding the
rank), the priorities, the figures' names, and the ranking's order."""

from __future__ import annotations

import pytest

from chalicelib.domain import traffic


@pytest.mark.parametrize(("seconds", "field"), [
    (0, "latency_1s"), (1, "latency_1s"), (2, "latency_2s"), (3, "latency_5s"),
    (30, "latency_30s"), (31, "latency_1m"), (60, "latency_1m"), (3600, "latency_1h"),
    (3601, "latency_2h"), (86400, "latency_24h"), (172800, "latency_48h"),
    (172801, "latency_more")])
def test_a_confirmation_falls_in_the_bucket_whose_upper_edge_it_does_not_pass(
        seconds: int, field: str) -> None:
    assert traffic.latency_field(seconds) == field


def test_the_buckets_are_the_fixed_ones() -> None:
    assert [edge for edge, _ in traffic.EDGES] == [
        1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 172800]
    assert len(traffic.LATENCY_FIELDS) == 17 and traffic.LATENCY_FIELDS[-1] == "latency_more"


def histogram(**counts: int) -> list[int]:
    return traffic.histogram({f"latency_{k[1:]}": v for k, v in counts.items()})


def test_a_percentile_is_the_upper_edge_of_the_bucket_holding_its_rank() -> None:
    # 10 confirmations: 4 within 1 s, 5 in (5 s, 10 s], 1 in (1 h, 2 h].
    buckets = histogram(_1s=4, _10s=5, _2h=1)
    assert traffic.percentile(buckets, 50) == 10  # rank 5: the 5th fastest is in ≤ 10 s
    assert traffic.percentile(buckets, 40) == 1  # rank 4: still in ≤ 1 s
    assert traffic.percentile(buckets, 90) == 10  # rank 9
    assert traffic.percentile(buckets, 95) == 7200  # rank ceil(9.5) = 10: the slowest
    assert traffic.percentile(buckets, 100) == 7200


def test_the_rank_is_rounded_up_and_never_below_one() -> None:
    assert traffic.percentile(histogram(_2s=1), 50) == 2  # rank ceil(0.5) = 1
    assert traffic.percentile(histogram(_2s=1), 1) == 2
    # 20 confirmations: p95's rank is exactly 19, not 20 (integer arithmetic).
    assert traffic.percentile(histogram(_5s=19, _24h=1), 95) == 5


def test_no_confirmation_has_no_percentile_and_the_open_bucket_answers_48_hours() -> None:
    assert traffic.percentile(histogram(), 50) is None
    assert traffic.percentile(histogram(_more=3), 50) == 172800


def test_counts_of_a_send_and_a_confirmation_name_the_priority() -> None:
    assert traffic.sent("hoa_toc", 10) == {"sent": 1, "bytes_sent": 10, "sent_hoa_toc": 1}
    assert traffic.received("khan", 7, 45) == {"received": 1, "bytes_received": 7,
                                               "received_khan": 1, "latency_1m": 1}
    assert traffic.received(None, 7, None) == {"received": 1, "bytes_received": 7,
                                               "received_thuong": 1}


def test_figures_read_failures_as_failed_fetches_and_missing_fields_as_zero() -> None:
    assert traffic.figures({"failures": 2, "sent": 1}) == {
        "sent": 1, "bytes_sent": 0, "received": 0, "bytes_received": 0, "rejected": 0,
        "failed_fetches": 2, "expired": 0, "undeliverable": 0}
    assert traffic.by_priority({"sent_khan": 3})["khan"] == {"sent": 3, "received": 0}
    assert traffic.by_priority({})["hoa_toc"] == {"sent": 0, "received": 0}


def test_the_ranking_is_highest_first_ties_by_code() -> None:
    rows = {"B": {"sent": 5}, "A": {"sent": 5}, "C": {"sent": 9}, "D": {}}
    assert traffic.ranked(rows, "sent", None) == ["C", "A", "B", "D"]
    assert traffic.ranked(rows, "sent", 2) == ["C", "A"]
    assert traffic.ranked({"A": {"failures": 1}, "B": {}}, "failures", 5) == ["A", "B"]
