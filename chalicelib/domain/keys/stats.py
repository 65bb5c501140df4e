"""Table keys of the counters (services/counters.py, docs/data-model.md), part of
`chalicelib.domain.keys`: import them from there (`keys.stats_day(...)`), like every
other key.
"""

from __future__ import annotations

# A unit's counters (`STAT#{unit}`), the province's in shards of units (`STAT#*{shard}`),
# each month's ranking (`RANK#{month}`), tallies not yet added.
STATS_DAY, STATS_MONTH, STATS_UTC_DAY, STATS_HOUR = "D#", "M#", "DAY#", "H#"
TALLY_SHARDS, PROVINCE_SHARDS = 16, 8


def stats_partition(unit_code: str) -> str:
    return f"STAT#{unit_code}"


def stats_day(unit_code: str, day: str) -> tuple[str, str]:
    """A unit's counters of one province day ('2026-11-29')."""
    return stats_partition(unit_code), f"{STATS_DAY}{day}"


def stats_month(unit_code: str, month: str) -> tuple[str, str]:
    """A unit's counters of one province month ('2026-11')."""
    return stats_partition(unit_code), f"{STATS_MONTH}{month}"


def stats_hour(owner: str, hour: str) -> tuple[str, str]:
    """The failures of one province hour ('2026-11-30T09') in a province shard: the
    dashboard's last 24 hours."""
    return stats_partition(owner), f"{STATS_HOUR}{hour}"


def backfill_marker(month: str, owner: str) -> tuple[str, str]:
    """That the province's or the ranking's counters of `month` (the month the province
    counters began) were given `owner`'s earlier days once (`services/report_backfill`)."""
    return f"BACKFILL#{month}", owner


def stats_utc_day(unit_code: str, day: str) -> tuple[str, str]:
    """A unit's counters of a UTC day, from before the province's day: read, not written."""
    return stats_partition(unit_code), f"{STATS_UTC_DAY}{day}"


def province_stats(shard: int) -> str:
    """The pseudo-unit whose counters are shard `shard` of the province's."""
    return f"*{shard:02d}"


def ranking_partition(month: str) -> str:
    return f"RANK#{month}"


def ranking(month: str, unit_code: str) -> tuple[str, str]:
    """A unit's counters of one province month, in that month's ranking partition."""
    return ranking_partition(month), unit_code


def tally_partition(shard: int) -> str:
    return f"TALLY#{shard:02d}"


def tally(shard: int, at: int, event_id: str) -> tuple[str, str]:
    """A count written with the change it counts, until added to its unit's counters."""
    return tally_partition(shard), f"{at:012d}#{event_id}"
