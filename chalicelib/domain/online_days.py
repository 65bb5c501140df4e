"""A unit's online time per day (R-PROP-12), for the connections chart: the union of its
sessions (two apps online at once count once), cut at each day's bounds. Pure."""

from __future__ import annotations

from collections.abc import Sequence


def merged(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching intervals [start, end) joined, in order; empty ones dropped."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def per_day(intervals: Sequence[tuple[int, int]], days: Sequence[tuple[int, int]]
            ) -> list[int]:
    """Seconds online within each day [start, end) of `days`."""
    online = merged(intervals)
    return [sum(max(0, min(end, day_end) - max(start, day_start)) for start, end in online)
            for day_start, day_end in days]
