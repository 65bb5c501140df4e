"""Traffic reports (R-PROP-11, R-PROP-12): a unit's, the province's, and the ranking of
units, for a day, month, quarter, year or range of the province's calendar; each as JSON
and as a table for the CSV and XLSX exports (docs/reports.md).

Every figure comes from the pre-aggregated counters (`services/counters.py`), read by
key and range, never from the messages, so what a report reads does not grow with the
traffic: a unit's report is three range queries of its counters partition, the
province's two per shard of the province's counters, the ranking one paged query of
each month's ranking partition (whose size is the number of units that had traffic).

Who sees what: a unit's report, its own apps and people, and operators; another unit's
is 403 `forbidden`. The province's report and the ranking are for operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain import keys, traffic
from chalicelib.domain.errors import ForbiddenError, InvalidRequestError
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item
from chalicelib.domain.report_schemas import (
    ByPriority,
    DayFigures,
    Latency,
    MonthFigures,
    ProvinceReport,
    RankedUnit,
    Ranking,
    ReportPeriod,
    ServiceCalls,
    Totals,
    UnitReport,
)
from chalicelib.domain.report_tables import ranking_table, traffic_table
from chalicelib.domain.signatures import Caller
from chalicelib.domain.tables import Table
from chalicelib.services import counters, directory, roles, units
from chalicelib.services.deps import Deps


@dataclass(frozen=True)
class Read:
    """The counters of a period: in total, and per day (per month for a quarter or a
    year), every day or month of the period listed, in order."""

    period: Period
    totals: dict[str, int]
    rows: list[tuple[str, dict[str, int]]]

    @property
    def by_month(self) -> bool:
        return self.period.kind in ("quarter", "year")


def read(deps: Deps, owners: Sequence[str], period: Period, *, legacy: bool) -> Read:
    """The sum of `owners`' counters (a unit, or the province's shards) over `period`:
    whole months from month counters, the other days from day counters (`pieces`)."""
    months, days = period.pieces()
    by_month_kind = period.kind in ("quarter", "year")
    span = None if by_month_kind else (period.first.isoformat(), period.last.isoformat())
    month_counts: dict[str, dict[str, int]] = {}
    day_counts: dict[str, dict[str, int]] = {}
    for owner in owners:
        found_months, found_days = counters.period_counters(deps, owner, months, span,
                                                            legacy=legacy)
        for month, counts in found_months.items():
            month_counts[month] = traffic.total([month_counts.get(month, {}), counts])
        for day, counts in found_days.items():
            day_counts[day] = traffic.total([day_counts.get(day, {}), counts])
    totals = traffic.total([*(month_counts.get(m, {}) for m in months),
                            *(day_counts.get(d, {}) for d in days)])
    if by_month_kind:
        rows = [(m, month_counts.get(m, {})) for m in months]
    else:
        rows = [(d.isoformat(), day_counts.get(d.isoformat(), {})) for d in period.days]
    return Read(period, totals, rows)


def period_view(period: Period) -> ReportPeriod:
    return ReportPeriod.of(period)


def _figures(result: Read) -> dict[str, object]:
    buckets = traffic.histogram(result.totals)
    events = [traffic.figures(counts, traffic.EVENTS) for _, counts in result.rows]
    return {
        "period": period_view(result.period),
        "totals": Totals(**traffic.figures(result.totals)),
        "by_priority": ByPriority.model_validate(traffic.by_priority(result.totals)),
        "latency": Latency(confirmed=sum(buckets),
                           median_seconds=traffic.percentile(buckets, 50),
                           p95_seconds=traffic.percentile(buckets, 95)),
        "services": ServiceCalls.model_validate(traffic.service_calls(result.totals)),
        "days": ([MonthFigures(month=label, **e) for (label, _), e in zip(result.rows, events,
                                                                          strict=True)]
                 if result.by_month else
                 [DayFigures(day=label, **e) for (label, _), e in zip(result.rows, events,
                                                                      strict=True)]),
    }


# -- a unit ------------------------------------------------------------------------------


def _unit(deps: Deps, caller: Caller, code: str) -> Item:
    """The unit whose report `caller` may read: its own, or any for an operator."""
    if caller.unit != code and not roles.is_operator(deps, caller):
        raise ForbiddenError("A unit's report is seen by the unit itself and by operators.",
                             code="forbidden")
    return units.require_unit(deps, code)


def unit_report(deps: Deps, caller: Caller, code: str, period: Period) -> UnitReport:
    unit = _unit(deps, caller, code)
    result = read(deps, [code], period, legacy=True)
    return UnitReport.model_validate({"unit": code, "unit_name": unit["name"],
                                      **_figures(result)})


def unit_table(deps: Deps, caller: Caller, code: str, period: Period) -> Table:
    _unit(deps, caller, code)
    result = read(deps, [code], period, legacy=True)
    return traffic_table(f"bao-cao-{code}-{period.label}", result.by_month, result.rows,
                         result.totals)


# -- the province ------------------------------------------------------------------------


def _province(deps: Deps, caller: Caller, period: Period) -> Read:
    roles.require_operator(deps, caller)
    shards = [keys.province_stats(n) for n in range(keys.PROVINCE_SHARDS)]
    return read(deps, shards, period, legacy=False)


def registered_units(deps: Deps) -> int:
    """Units registered and not dissolved, from the directory's cached index."""
    return sum(1 for row in directory.index(deps).rows if row.status != units.DISSOLVED)


def province_report(deps: Deps, caller: Caller, period: Period) -> ProvinceReport:
    result = _province(deps, caller, period)
    return ProvinceReport.model_validate({"units": registered_units(deps),
                                          **_figures(result)})


def province_table(deps: Deps, caller: Caller, period: Period) -> Table:
    result = _province(deps, caller, period)
    return traffic_table(f"bao-cao-tinh-{period.label}", result.by_month, result.rows,
                         result.totals)


# -- the ranking -------------------------------------------------------------------------


def ranking(deps: Deps, caller: Caller, period: Period, by: str | None,
            limit: int | None) -> Ranking:
    """Units by `by` (default `sent`), highest first, at most `limit` (None: all that had
    traffic). Over whole months only: the ranking partitions are per month."""
    roles.require_operator(deps, caller)
    by = "sent" if by is None else by
    if by not in traffic.RANK_BY:
        raise InvalidRequestError(f"by must be one of {', '.join(traffic.RANK_BY)}.",
                                  code="invalid_request")
    months, days = period.pieces()
    if days:
        raise InvalidRequestError(
            "The ranking covers whole months: period=month, quarter or year, or a range "
            "from the first day of a month to the last day of a month.", code="invalid_period")
    rows: dict[str, dict[str, int]] = {}
    for month in months:
        for unit, counts in counters.month_ranking(deps, month).items():
            rows[unit] = traffic.total([rows.get(unit, {}), counts])
    index = directory.index(deps)

    def name(code: str) -> str:
        found = index.by_code.get(code)
        return index.rows[found].name if found is not None else ""

    items = [RankedUnit(unit=code, unit_name=name(code),
                        **traffic.figures(rows[code], traffic.EVENTS))
             for code in traffic.ranked(rows, by, limit)]
    return Ranking(period=period_view(period), by=by, items=items)


def ranking_export(deps: Deps, caller: Caller, period: Period, by: str | None,
                   limit: int | None) -> Table:
    ranked = ranking(deps, caller, period, by, limit)
    return ranking_table(f"xep-hang-{ranked.by}-{period.label}",
                         [item.model_dump() for item in ranked.items])
