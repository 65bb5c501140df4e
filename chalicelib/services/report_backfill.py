"""The province's counters and the ranking for the time before they were counted.

The province's counters (`STAT#*{shard}`) and each month's ranking (`RANK#{month}`) are
added to by every change since the hub has had them; a hub that counted before has only
its units' counters for that time. `backfill` gives the province and the ranking those
earlier figures from the units' own counters (the same figures the unit reports show):

- every province day before the first one counted (`cutover`), and every month before the
  cutover's month, are written whole, only where no item exists (a conditional put): they
  are never counted live, so nothing is counted twice and a second run writes nothing;
- the cutover's month is counted live from the cutover on: the units' days before it are
  added to it once, each owner's addition in one transaction with a marker item
  (`BACKFILL#{month}`) that must not exist.

It reads each unit's counters partition (three range queries) and the units of the
directory: an operator's one-off command after an upgrade (`python -m infra.admin
reports backfill`), not a request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from chalicelib.domain import keys, traffic
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Put, Update
from chalicelib.domain.times import province_date
from chalicelib.services import counters, directory
from chalicelib.services.deps import Deps

Counts = dict[str, int]


@dataclass
class Backfilled:
    cutover: str  # the first province day counted live
    units: int = 0
    written: int = 0  # items written whole
    added: int = 0  # additions to the cutover's month
    present: int = 0  # items (or additions) already there: left alone
    months: list[str] = field(default_factory=list)


def cutover_day(deps: Deps) -> date:
    """The first province day counted live: found by the first run (the first day the
    province's counters have, today if none yet) and kept, since a run writes earlier
    days itself."""
    kept = deps.table.get(*keys.backfill_marker("CUTOVER", "*"))
    if kept is not None:
        return date.fromisoformat(str(kept["day"]))
    firsts: list[date] = []
    for shard in range(keys.PROVINCE_SHARDS):
        owner = keys.province_stats(shard)
        page = deps.table.query(keys.stats_partition(owner), prefix=keys.STATS_DAY, limit=1)
        firsts.extend(date.fromisoformat(i["sk"][len(keys.STATS_DAY):]) for i in page.items)
    found = min([*firsts, province_date(deps.clock.now())])
    pk, sk = keys.backfill_marker("CUTOVER", "*")
    try:
        deps.table.put({"pk": pk, "sk": sk, "kind": "backfill", "day": found.isoformat()},
                       Condition(exists=False))
    except ConditionFailedError:  # another run kept it first
        return cutover_day(deps)
    return found


def _months(first: date, before: date) -> list[str]:
    """The months from `first`'s to the one before `before`'s."""
    out, day = [], first.replace(day=1)
    while day < before.replace(day=1):
        out.append(day.isoformat()[:7])
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def backfill(deps: Deps, *, since: date) -> Backfilled:
    """Give the province's counters and the ranking every figure of the units from the
    month of `since` to the day before the cutover (see the module's docstring)."""
    cutover = cutover_day(deps)
    months = _months(since, cutover)
    done = Backfilled(cutover.isoformat(), months=months)
    if since >= cutover:
        return done
    last = (cutover - timedelta(days=1)).isoformat()
    by_shard_day: dict[tuple[str, str], Counts] = defaultdict(dict)
    by_shard_month: dict[tuple[str, str], Counts] = defaultdict(dict)
    partial: dict[str, Counts] = defaultdict(dict)  # the cutover month's days before it
    this_month = cutover.isoformat()[:7]
    for row in directory.index(deps).rows:
        done.units += 1
        shard = counters.province_shard(row.code)
        found_months, found_days = counters.period_counters(
            deps, row.code, months, (since.isoformat(), last), legacy=True)
        for day, counts in found_days.items():
            by_shard_day[(shard, day)] = traffic.total([by_shard_day[(shard, day)], counts])
            if day.startswith(this_month):
                partial[row.code] = traffic.total([partial[row.code], counts])
        for month, counts in found_months.items():
            by_shard_month[(shard, month)] = traffic.total(
                [by_shard_month[(shard, month)], counts])
            _write(deps, done, keys.ranking(month, row.code),
                   {"kind": "ranking", "unit": row.code, "month": month}, counts)
        if partial.get(row.code):
            _add(deps, done, keys.ranking(this_month, row.code), row.code,
                 about={"kind": "ranking", "unit": row.code, "month": this_month},
                 counts=partial[row.code], month=this_month)
    for (shard, day), counts in by_shard_day.items():
        _write(deps, done, keys.stats_day(shard, day),
               {"kind": "province_counters", "shard": shard, "day": day}, counts)
    for (shard, month), counts in by_shard_month.items():
        _write(deps, done, keys.stats_month(shard, month),
               {"kind": "province_counters", "shard": shard, "month": month}, counts)
    shard_partial: dict[str, Counts] = defaultdict(dict)
    for code, counts in partial.items():
        shard = counters.province_shard(code)
        shard_partial[shard] = traffic.total([shard_partial[shard], counts])
    for shard, counts in shard_partial.items():
        _add(deps, done, keys.stats_month(shard, this_month), shard,
             about={"kind": "province_counters", "shard": shard, "month": this_month},
             counts=counts, month=this_month)
    return done


def _write(deps: Deps, done: Backfilled, key: tuple[str, str], about: dict[str, str],
           counts: Counts) -> None:
    if not counts:
        return
    try:
        deps.table.put({"pk": key[0], "sk": key[1], **about, **counts},
                       Condition(exists=False))
        done.written += 1
    except ConditionFailedError:
        done.present += 1


def _add(deps: Deps, done: Backfilled, key: tuple[str, str], owner: str, *,
         about: dict[str, str], counts: Counts, month: str) -> None:
    marker = keys.backfill_marker(month, owner)
    try:
        deps.table.transact([
            Update(*key, set=about, add=counts),
            Put({"pk": marker[0], "sk": marker[1], "kind": "backfill", "month": month,
                 "owner": owner, "at": deps.clock.now()}, Condition(exists=False))])
        done.added += 1
    except TransactionConflictError:
        done.present += 1
