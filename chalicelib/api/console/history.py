"""The console's exchange history and connections of a unit (R-PROP-11, R-PROP-12;
docs/console.md): the unit's history lines, filtered and paged by the service's
cursor, its sessions, online time and availability, each with the API's CSV and XLSX
files (`services/report_history.py`). Operators pick any unit; a unit admin sees their own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route, nav_item
from chalicelib.api.console.reports import (
    FORMATS,
    download,
    format_of,
    period_of,
    period_query,
    picker,
    seconds_text,
)
from chalicelib.domain import charts, online_days
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.history_report import DIRECTIONS, EVENTS, HistoryFilter
from chalicelib.domain.periods import Period
from chalicelib.domain.priority import Priority
from chalicelib.domain.times import parse_iso, province_midnight

PAGE = 50
FILTERS = ("direction", "counterpart", "event", "priority")

nav_item("/console/reports/history", "nav_history", None)


def _unit(view: View) -> str | None:
    """The unit asked for: an operator's pick (none yet: the page asks), else the admin's
    own; a unit admin naming another unit is refused by the service."""
    return view.arg("unit") or (None if view.operator else view.unit)


def _filter(view: View) -> HistoryFilter:
    return HistoryFilter.parse(**{name: view.arg(name) or None for name in FILTERS})


def _history_query(view: View, unit: str) -> dict[str, str]:
    return {**period_query(view), "unit": unit if view.operator else "",
            **{name: view.arg(name) for name in FILTERS}}


@console_route("/console/reports/history", ["GET"], summary="A unit's exchange history",
               who=UNIT_ADMIN)
def history_page(view: View) -> Response:
    from chalicelib.services import report_history
    unit = _unit(view)
    context: dict[str, Any] = {
        "unit": unit, "filters": {name: view.arg(name) for name in FILTERS},
        "directions": DIRECTIONS, "events": EVENTS, "priorities": [p.value for p in Priority],
        "report": None}
    try:
        period, wanted = period_of(view), _filter(view)
    except InvalidRequestError as err:
        return view.render("reports_history.html", status=400, error=err.message,
                           shown=picker(view, None), **context)
    context["shown"] = picker(view, period)
    if unit is None:
        return view.render("reports_history.html", **context)
    report = report_history.history(view.deps, view.caller, unit, period, wanted, limit=PAGE,
                                    cursor=view.arg("cursor") or None)
    query = _history_query(view, unit)
    return view.render(
        "reports_history.html", **{**context, "report": report},
        next_url=view.url("/console/reports/history", **query, cursor=report.next_cursor)
        if report.next_cursor else None,
        exports={kind: view.url("/console/reports/history/export", **query, format=kind)
                 for kind in FORMATS})


@console_route("/console/reports/history/export", ["GET"],
               summary="A unit's exchange history as CSV or XLSX (the API's files)",
               who=UNIT_ADMIN)
def history_export(view: View) -> Response:
    from chalicelib.services import report_history
    suffix = format_of(view)
    table = report_history.history_table(view.deps, view.caller, _unit(view) or view.unit,
                                         period_of(view), _filter(view))
    return download(view, table, suffix)


# -- connections --------------------------------------------------------------------------


def daily_online(report: Any, period: Period, now: int) -> tuple[list[str], list[int]]:
    """Minutes online per day of the period (up to now): the sessions' union, per day."""
    stop = min(period.end + 1, now)
    sessions = [(period.start if s.connected_at is None else parse_iso(s.connected_at),
                 stop if s.disconnected_at is None else parse_iso(s.disconnected_at))
                for s in report.sessions]
    days = [(province_midnight(d), province_midnight(d + timedelta(days=1)))
            for d in period.days]
    seconds = online_days.per_day([(max(a, period.start), min(b, stop)) for a, b in sessions],
                                  days)
    return [d.isoformat()[5:] for d in period.days], [s // 60 for s in seconds]


@console_route("/console/reports/connections", ["GET"],
               summary="A unit's connections, online time and availability", who=UNIT_ADMIN)
def connections_page(view: View) -> Response:
    from chalicelib.services import report_history
    unit = _unit(view)
    try:
        period = period_of(view)
    except InvalidRequestError as err:
        return view.render("reports_connections.html", status=400, error=err.message,
                           shown=picker(view, None), unit=unit, report=None)
    if unit is None:
        return view.render("reports_connections.html", shown=picker(view, period), unit=None,
                           report=None)
    report = report_history.connections(view.deps, view.caller, unit, period)
    labels, minutes = daily_online(report, period, view.deps.clock.now())
    query = {**period_query(view), "unit": unit if view.operator else ""}
    return view.render(
        "reports_connections.html", shown=picker(view, period), unit=unit, report=report,
        online=seconds_text(view, report.online_seconds), labels=labels, minutes=minutes,
        chart=charts.bar_chart(labels, [(view.t["online_minutes"], minutes)]),
        exports={kind: view.url("/console/reports/connections/export", **query, format=kind)
                 for kind in FORMATS})


@console_route("/console/reports/connections/export", ["GET"],
               summary="A unit's connections as CSV or XLSX (the API's files)", who=UNIT_ADMIN)
def connections_export(view: View) -> Response:
    from chalicelib.services import report_history
    suffix = format_of(view)
    table = report_history.connections_table(view.deps, view.caller, _unit(view) or view.unit,
                                             period_of(view))
    return download(view, table, suffix)
