"""A unit's counters (R-PROP-11, R-PROP-12): messages and bytes sent and received,
rejections, failures, expiries, per province day and month.

Counting never touches a shared item inside the change it counts. The change writes a
*tally* (`TALLY#{shard}`, an item of its own) in its transaction; right after the commit
the tally is added to the unit's day and month counters and deleted, in one transaction,
so it counts exactly once. If that step fails or meets contention (every busy unit's
counters are hot items), the tally stays and the sweeper adds it a minute later. A busy
source's parallel requests therefore never cancel each other over a counter, and a
request never fails because its count could not be added yet.

The same transaction adds the counts to the province's day and month (`STAT#*{shard}`:
the province's counters in 8 shards, a unit's always in the same one, so two units'
counts rarely meet on one item) and to the unit's line of the month's ranking
(`RANK#{month}`, one partition per month: the ranking of every unit is one paged
query). What is counted: `domain/traffic.py`.

Counters written before they moved to the province's day (`DAY#{utc day}`) are still
read, added to the province day of the same date and to its month.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from chalicelib.domain import keys, traffic
from chalicelib.domain.errors import ContentionError, TransactionConflictError
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.times import province_day, province_hour
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.counters")
SETTLE_AFTER = 60  # the sweeper leaves younger tallies to the request that wrote them
_PER_TRANSACTION = 94  # tallies deleted with the 5 or 6 counter updates (at most 100 ops)
HOUR_KEEP_SECONDS = 3 * 86400  # the hourly failures serve the last 24 hours
_PAGE = 200


def tally(deps: Deps, unit: str, **counts: int) -> Put:
    """Counts for `unit`'s counters of today, to write in the transaction of the change
    they count (then `settle` the transaction's ops once it committed)."""
    at, event_id = deps.clock.now(), deps.ids.new_id()
    pk, sk = keys.tally(zlib.crc32(event_id.encode()) % keys.TALLY_SHARDS, at, event_id)
    return Put({"pk": pk, "sk": sk, "kind": "tally", "unit": unit, "at": at,
                "day": province_day(at), "counts": counts}, Condition(exists=False))


def settle(deps: Deps, ops: Iterable[TransactOp]) -> None:
    """Add the tallies a committed transaction wrote to their counters now. Never raises:
    whatever is not added now is added by the sweeper."""
    tallies = [op.item for op in ops if isinstance(op, Put) and op.item.get("kind") == "tally"]
    try:
        _add(deps, tallies)
    except Exception:  # after the commit: the caller's change stands; the sweeper retries
        log.exception("counters: %d tallies left for the sweeper", len(tallies))


def drain(deps: Deps, *, limit: int) -> int:
    """The sweeper's part: add tallies older than a minute (their request did not);
    returns how many were added."""
    end, added = f"{deps.clock.now() - SETTLE_AFTER:012d}~", 0
    for shard in range(keys.TALLY_SHARDS):
        while added < limit:
            page = deps.table.query(keys.tally_partition(shard), end=end,
                                    limit=min(100, limit - added))
            added += _add(deps, page.items)
            if page.cursor is None:
                break
    return added


def _add(deps: Deps, tallies: Sequence[Item]) -> int:
    """Add tallies to their counters, grouped by unit and day; returns how many."""
    groups: dict[tuple[str, str, int], list[Item]] = defaultdict(list)
    for item in tallies:  # a failure's hour too: one hourly update per transaction at most
        hour = int(item["at"]) // 3600 if traffic.failures_of(item["counts"]) else -1
        groups[(item["unit"], item["day"], hour)].append(item)
    added = 0
    for (unit, day, _), items in groups.items():
        for start in range(0, len(items), _PER_TRANSACTION):
            chunk = items[start:start + _PER_TRANSACTION]
            try:
                deps.table.transact(_adding(unit, day, chunk))
                added += len(chunk)
            except TransactionConflictError:  # some were added meanwhile: one by one
                added += sum(_add_one(deps, item) for item in chunk)
    return added


def _add_one(deps: Deps, item: Item) -> int:
    try:
        deps.table.transact(_adding(item["unit"], item["day"], [item]))
    except (TransactionConflictError, ContentionError):
        return 0  # added by someone else, or left for the next sweep
    return 1


def province_shard(unit: str) -> str:
    """The pseudo-unit of the province's counters that `unit`'s counts are added to."""
    return keys.province_stats(zlib.crc32(unit.encode()) % keys.PROVINCE_SHARDS)


def _failure_hours(shard: str, tallies: Sequence[Item]) -> list[TransactOp]:
    """The failures among `tallies`, added to the shard's counters of their province
    hour (none when nothing failed: a success adds nothing here). `_add` groups tallies
    so that those with failures share one hour."""
    hours: dict[int, list[Item]] = defaultdict(list)
    for item in tallies:
        if traffic.failures_of(item["counts"]):
            hours[int(item["at"]) // 3600 * 3600].append(item)
    return [Update(*keys.stats_hour(shard, province_hour(start)),
                   set={"kind": "province_failures", "hour": province_hour(start),
                        "ttl": start + HOUR_KEEP_SECONDS},
                   add=traffic.failures_of(_merge(*(i["counts"] for i in items))))
            for start, items in sorted(hours.items())]


def _adding(unit: str, day: str, tallies: Sequence[Item]) -> list[TransactOp]:
    total = dict(_merge(*(item["counts"] for item in tallies)))
    month, shard = day[:7], province_shard(unit)
    about = {"kind": "counters", "unit": unit}
    province = {"kind": "province_counters", "shard": shard}
    return [Update(*keys.stats_day(unit, day), set={**about, "day": day}, add=total),
            Update(*keys.stats_month(unit, month), set={**about, "month": month}, add=total),
            Update(*keys.stats_day(shard, day), set={**province, "day": day}, add=total),
            Update(*keys.stats_month(shard, month), set={**province, "month": month},
                   add=total),
            Update(*keys.ranking(month, unit), set={"kind": "ranking", "unit": unit,
                                                    "month": month}, add=total),
            *_failure_hours(shard, tallies),
            *(Delete(item["pk"], item["sk"], Condition(exists=True)) for item in tallies)]


def recent_failures(deps: Deps, now: int, hours: int = 24) -> list[tuple[str, dict[str, int]]]:
    """The province's failures of the last `hours` province hours (this one included),
    oldest first: one bounded query per province shard."""
    first = now // 3600 * 3600 - (hours - 1) * 3600
    labels = [province_hour(first + n * 3600) for n in range(hours)]
    found: dict[str, dict[str, int]] = {label: {} for label in labels}
    for shard in range(keys.PROVINCE_SHARDS):
        owner = keys.province_stats(shard)
        page = deps.table.query(keys.stats_partition(owner),
                                start=keys.stats_hour(owner, labels[0])[1],
                                end=keys.stats_hour(owner, labels[-1])[1], limit=hours)
        for item in page.items:
            if item.get("hour") in found:
                found[item["hour"]] = _merge(found[item["hour"]],
                                               traffic.failures_of(item))
    return [(label, found[label]) for label in labels]


def _counts(item: Item | None) -> dict[str, int]:
    if item is None:
        return {}
    return {k: v for k, v in item.items() if isinstance(v, int) and not isinstance(v, bool)}


def _merge(*parts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for part in parts:
        for name, n in part.items():
            out[name] += n
    return dict(out)


def day_counters(deps: Deps, unit: str, day: str) -> dict[str, int]:
    """A unit's counters of one province day ('2026-11-29')."""
    return _merge(_counts(deps.table.get(*keys.stats_day(unit, day))),
                  _counts(deps.table.get(*keys.stats_utc_day(unit, day))))


def daily_counters(deps: Deps, unit: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """A unit's counters of each province day from `first` to `last` that has any (two
    range queries of its counters partition: the days, and the legacy UTC days)."""
    out: dict[str, dict[str, int]] = {}
    for prefix in (keys.STATS_DAY, keys.STATS_UTC_DAY):
        cursor: str | None = None
        while True:
            page = deps.table.query(keys.stats_partition(unit), start=f"{prefix}{first}",
                                    end=f"{prefix}{last}", limit=200, cursor=cursor)
            for item in page.items:
                day = item["sk"][len(prefix):]
                out[day] = _merge(out.get(day, {}), _counts(item))
            cursor = page.cursor
            if cursor is None:
                break
    return dict(sorted(out.items()))


def month_counters(deps: Deps, unit: str, month: str) -> dict[str, int]:
    """A unit's counters of one province month ('2026-11'): its month item, plus the
    legacy UTC days of that month."""
    legacy = deps.table.query(keys.stats_partition(unit),
                              prefix=f"{keys.STATS_UTC_DAY}{month}-", limit=31).items
    return _merge(_counts(deps.table.get(*keys.stats_month(unit, month))),
                  *(_counts(item) for item in legacy))


def _ranged(deps: Deps, owner: str, prefix: str, first: str, last: str) -> list[Item]:
    """`owner`'s counters with sort keys from `prefix+first` to `prefix+last`."""
    out: list[Item] = []
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.stats_partition(owner), start=f"{prefix}{first}",
                                end=f"{prefix}{last}", limit=_PAGE, cursor=cursor)
        out.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            return out


def period_counters(deps: Deps, owner: str, months: Sequence[str],
                    days: tuple[str, str] | None, *, legacy: bool = True
                    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The counters of `owner` (a unit, or a `province_shard`) of each of `months`
    (consecutive, '2026-11') and of each day from `days[0]` to `days[1]` that has any:
    one range query each, and one of the legacy UTC days (`legacy`), which are added to
    both their day and their month. Returns (by month, by day)."""
    by_month: dict[str, dict[str, int]] = {}
    by_day: dict[str, dict[str, int]] = {}
    if months:
        for item in _ranged(deps, owner, keys.STATS_MONTH, months[0], months[-1]):
            by_month[item["sk"][len(keys.STATS_MONTH):]] = _counts(item)
    if days:
        for item in _ranged(deps, owner, keys.STATS_DAY, *days):
            by_day[item["sk"][len(keys.STATS_DAY):]] = _counts(item)
    bounds = [*([f"{months[0]}-01", f"{months[-1]}-31"] if months else []), *(days or ())]
    if legacy and bounds:
        wanted = set(months)
        for item in _ranged(deps, owner, keys.STATS_UTC_DAY, min(bounds), max(bounds)):
            day = item["sk"][len(keys.STATS_UTC_DAY):]
            if day[:7] in wanted:
                by_month[day[:7]] = _merge(by_month.get(day[:7], {}), _counts(item))
            if days and days[0] <= day <= days[1]:
                by_day[day] = _merge(by_day.get(day, {}), _counts(item))
    return by_month, by_day


def month_ranking(deps: Deps, month: str) -> dict[str, dict[str, int]]:
    """Every unit's counters of one province month, from the month's ranking partition
    (units without any count that month are not in it)."""
    out: dict[str, dict[str, int]] = {}
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.ranking_partition(month), limit=1000, cursor=cursor)
        out.update((item["unit"], _counts(item)) for item in page.items)
        cursor = page.cursor
        if cursor is None:
            return out
