"""What a unit's counters count, and how a report reads them (R-PROP-11, R-PROP-12).

Every change adds small integers to its unit's counters (`services/counters.py`), under
these field names; a report sums them over the months and days of its period and names
them for people (`FIGURES`: the counters' `failures` is the report's `failed_fetches`).
A field a counter does not have (written before it was counted) reads as 0.

The time from a message's verification to a destination's confirmation is counted as a
histogram of fixed buckets: `latency_1s` (at most 1 s), `latency_2s` (more than 1 s, at
most 2 s), ... `latency_48h`, then `latency_more` (more than 48 h). A percentile is
estimated as the **upper edge of the bucket holding its rank**: with n confirmations the
rank of the p-th percentile is ceil(p × n / 100) (at least 1) counted from the fastest,
and the answer is the edge of the first bucket where the running count reaches it. So a
median of 30 means "half of the confirmations took at most 30 s". The open last bucket
answers its lower edge, 172,800 s (read: "more than 48 h").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .priority import Priority

Counts = Mapping[str, int]

# (upper edge in seconds, the field's suffix)
EDGES: tuple[tuple[int, str], ...] = (
    (1, "1s"), (2, "2s"), (5, "5s"), (10, "10s"), (30, "30s"), (60, "1m"), (120, "2m"),
    (300, "5m"), (600, "10m"), (1800, "30m"), (3600, "1h"), (7200, "2h"), (14400, "4h"),
    (28800, "8h"), (86400, "24h"), (172800, "48h"))
LATENCY_FIELDS = (*(f"latency_{suffix}" for _, suffix in EDGES), "latency_more")
PRIORITIES = tuple(p.value for p in Priority)  # hoa_toc, thuong_khan, khan, thuong

# The report's figures and the counter field each one reads.
FIGURES: tuple[tuple[str, str], ...] = (
    ("sent", "sent"), ("bytes_sent", "bytes_sent"), ("received", "received"),
    ("bytes_received", "bytes_received"), ("rejected", "rejected"),
    ("failed_fetches", "failures"), ("expired", "expired"),
    ("undeliverable", "undeliverable"))
FIGURE_NAMES = tuple(figure for figure, _ in FIGURES)
EVENTS = ("sent", "received", "rejected", "failed_fetches", "expired", "undeliverable")
# The counter fields that are failures: also added per province hour (the dashboard).
FAILURE_FIELDS = ("rejected", "failures", "expired", "undeliverable")
# Calls through the catalogue's proxy (`domain/proxy.py` `usage`): the report's
# `services.consumer` and `services.provider` figures and the counter field each reads.
SERVICE_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "consumer": (("calls", "service_calls_made"), ("bytes_sent", "service_bytes_sent"),
                 ("bytes_received", "service_bytes_received"),
                 ("failures", "service_calls_made_failed")),
    "provider": (("calls", "service_calls_served"), ("bytes_received", "service_bytes_in"),
                 ("bytes_sent", "service_bytes_out"),
                 ("failures", "service_calls_served_failed")),
}
MAX_RANKED = 20_000  # units a ranking lists at most
# What a ranking may be ordered by (the query's `by`) and the counter field it reads.
RANK_BY = {"sent": "sent", "received": "received", "failures": "failures",
           "rejected": "rejected", "expired": "expired", "undeliverable": "undeliverable"}


def _slug(priority: str | None) -> str:
    return Priority(priority or Priority.THUONG).value


def latency_field(seconds: int) -> str:
    """The histogram field a confirmation `seconds` after verification adds to."""
    for edge, suffix in EDGES:
        if seconds <= edge:
            return f"latency_{suffix}"
    return "latency_more"


def sent(priority: str | None, size: int) -> dict[str, int]:
    """What a verified message adds to its source's counters."""
    return {"sent": 1, "bytes_sent": size, f"sent_{_slug(priority)}": 1}


def received(priority: str | None, size: int, seconds: int | None) -> dict[str, int]:
    """What a confirmation adds to the destination's counters; `seconds` from the
    content's verification, when known."""
    counts = {"received": 1, "bytes_received": size, f"received_{_slug(priority)}": 1}
    if seconds is not None:
        counts[latency_field(max(0, seconds))] = 1
    return counts


def total(parts: Iterable[Counts]) -> dict[str, int]:
    """The field-by-field sum of counters."""
    out: dict[str, int] = {}
    for part in parts:
        for name, n in part.items():
            out[name] = out.get(name, 0) + n
    return out


def figures(counts: Counts, names: Sequence[str] = FIGURE_NAMES) -> dict[str, int]:
    """The report's figures `names` from counters (0 for a field they lack)."""
    fields = dict(FIGURES)
    return {name: int(counts.get(fields[name], 0)) for name in names}


def service_calls(counts: Counts) -> dict[str, dict[str, int]]:
    """The proxy's figures of a unit (or the province) as consumer and as provider."""
    return {side: {name: int(counts.get(field, 0)) for name, field in fields}
            for side, fields in SERVICE_FIGURES.items()}


def by_priority(counts: Counts) -> dict[str, dict[str, int]]:
    return {slug: {"sent": int(counts.get(f"sent_{slug}", 0)),
                   "received": int(counts.get(f"received_{slug}", 0))}
            for slug in PRIORITIES}


def histogram(counts: Counts) -> list[int]:
    return [int(counts.get(name, 0)) for name in LATENCY_FIELDS]


def percentile(buckets: Sequence[int], percent: int) -> int | None:
    """The estimated `percent`-th percentile of a latency histogram (see above); None
    without any confirmation."""
    count = sum(buckets)
    if count == 0:
        return None
    rank = max(1, -(-percent * count // 100))  # ceil, in integers
    running = 0
    edges = [edge for edge, _ in EDGES] + [EDGES[-1][0]]
    for edge, n in zip(edges, buckets, strict=True):
        running += n
        if running >= rank:
            return edge
    return edges[-1]  # not reached: the running count ends at `count`


def ranked(rows: Mapping[str, Counts], by: str, limit: int | None) -> list[str]:
    """Units by the counter `RANK_BY[by]`, highest first (ties by unit code)."""
    field = RANK_BY[by]
    order = sorted(rows, key=lambda unit: (-int(rows[unit].get(field, 0)), unit))
    return order if limit is None else order[:limit]


def failures_of(counts: Counts) -> dict[str, int]:
    """The failure fields of `counts` that are not zero."""
    return {name: int(counts[name]) for name in FAILURE_FIELDS if counts.get(name)}
