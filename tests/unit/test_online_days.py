"""A unit's online time per day (R-PROP-12): sessions joined, then cut at midnight."""

from __future__ import annotations

from chalicelib.domain.online_days import merged, per_day

DAY = 86400


def test_overlapping_sessions_count_once() -> None:
    assert merged([(10, 20), (15, 30), (30, 40), (50, 50), (60, 70)]) == [(10, 40), (60, 70)]


def test_a_session_over_midnight_is_split_between_the_days() -> None:
    days = [(0, DAY), (DAY, 2 * DAY), (2 * DAY, 3 * DAY)]
    sessions = [(DAY - 600, DAY + 300), (DAY + 100, DAY + 200), (2 * DAY + 10, 2 * DAY + 20)]
    assert per_day(sessions, days) == [600, 300, 10]
