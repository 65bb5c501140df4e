"""The console's traffic reports (R-PROP-11, R-PROP-12; docs/console.md): a
period picker, the province's totals and the ranking of units (operators) or the unit's
own report (unit admins), their charts, and the same CSV and XLSX files as the API's
exports (`services/reports.py` `*_table`, `adapters/spreadsheets.py`).

The helpers at the top (the period of a GET form, a file download) serve the other
report pages too (history.py, traffic.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route, nav_item
from chalicelib.domain import charts, periods
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.periods import Period
from chalicelib.domain.priority import Priority
from chalicelib.domain.tables import Table
from chalicelib.domain.times import province_day
from chalicelib.domain.traffic import RANK_BY

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
PERIOD_ARGS = ("period", "date", "from", "to")
TOP_UNITS = 10

nav_item("/console/reports", "nav_reports", None)


# -- shared by the report pages -----------------------------------------------------------


def period_of(view: View) -> Period:
    """The period the GET form asks for (the API's rule, `periods.from_query`): an empty
    field counts as absent, and only the fields of the chosen kind are read (the form
    always sends all four)."""
    kind = view.arg("period") or None
    when, first, last = view.arg("date") or None, view.arg("from") or None, \
        view.arg("to") or None
    if kind == "range":
        when = None
    elif kind is not None:
        first = last = None
    today = date.fromisoformat(province_day(view.deps.clock.now()))
    return periods.from_query(kind, when, first, last, today=today)


def period_query(view: View) -> dict[str, str]:
    """The period fields of this request, to carry into links (sorting, paging, files)."""
    return {name: view.arg(name) for name in PERIOD_ARGS if view.arg(name)}


def picker(view: View, period: Period | None) -> dict[str, str]:
    """What the period picker shows: the request's fields, else the period's own."""
    shown = {name: view.arg(name) for name in PERIOD_ARGS}
    if period is not None and not any(shown.values()):
        shown["period"] = period.kind
        shown["date"] = periods.current(period.kind, period.first)
    shown["period"] = shown["period"] or "month"
    return shown


def format_of(view: View) -> str:
    wanted = view.arg("format") or "csv"
    if wanted not in FORMATS:
        raise InvalidRequestError("format must be csv or xlsx.", code="invalid_request")
    return wanted


def download(view: View, table: Table, suffix: str) -> Response:
    """`table` as the API's exports render it (the same file), as an attachment."""
    from chalicelib.adapters import spreadsheets
    body = spreadsheets.to_csv(table) if suffix == "csv" else spreadsheets.to_xlsx(table)
    return view.attachment(body, f"{table.title}.{suffix}", FORMATS[suffix])


def seconds_text(view: View, seconds: int | None) -> str:
    """A duration as people read it: '45 giây', '3 giờ 5 phút'."""
    if seconds is None:
        return view.t["none"]
    t = view.t
    if seconds < 60:
        return f"{seconds} {t['unit_seconds']}"
    hours, minutes = divmod(seconds // 60, 60)
    if hours == 0:
        return f"{minutes} {t['unit_minutes']}"
    days, hours = divmod(hours, 24)
    text = f"{hours} {t['unit_hours']} {minutes} {t['unit_minutes']}"
    return f"{days} {t['unit_days']} {text}" if days else text


# -- the reports page ---------------------------------------------------------------------


def _report(view: View, unit: str | None, period: Period) -> Any:
    from chalicelib.services import reports
    if unit is None:
        return reports.province_report(view.deps, view.caller, period)
    return reports.unit_report(view.deps, view.caller, unit, period)


def _ranking(view: View, period: Period, by: str) -> tuple[Any, bool]:
    """The ranking of units (operators; whole months only: else None and a note)."""
    from chalicelib.services import reports
    if period.pieces()[1]:
        return None, True
    return reports.ranking(view.deps, view.caller, period, by, None), False


def _charts(view: View, report: Any, ranked: Any) -> list[dict[str, Any]]:
    t = view.t
    found: list[dict[str, Any]] = []
    labels = [d.month if hasattr(d, "month") else d.day[5:] for d in report.days]
    values = [[d.sent for d in report.days], [d.received for d in report.days]]
    found.append({"id": "chart-time", "labels": labels, "values": values,
                  "caption": t["chart_by_month"] if labels and hasattr(report.days[0], "month")
                  else t["chart_by_day"]})
    order = [p.value for p in Priority]
    labels = [t[f"priority_{p}"] for p in order]
    figures = report.by_priority.model_dump()
    values = [[figures[p]["sent"] for p in order], [figures[p]["received"] for p in order]]
    found.append({"id": "chart-priority", "labels": labels, "values": values,
                  "caption": t["chart_by_priority"]})
    if ranked is not None:
        top = ranked.items[:TOP_UNITS]
        found.append({"id": "chart-units", "labels": [u.unit for u in top],
                      "values": [[u.sent for u in top], [u.received for u in top]],
                      "caption": t["chart_by_unit"]})
    for chart in found:
        chart["chart"] = charts.bar_chart(chart["labels"], [
            (t["sent"], chart["values"][0]), (t["received"], chart["values"][1])])
    return found


@console_route("/console/reports", ["GET"], summary="Traffic reports of a period",
               who=UNIT_ADMIN)
def reports_page(view: View) -> Response:
    unit = view.arg("unit") or (None if view.operator else view.unit)
    by = view.arg("by") or "sent"
    if by not in RANK_BY:
        by = "sent"
    try:
        period = period_of(view)
    except InvalidRequestError as err:
        return view.render("reports_page.html", status=400, error=err.message,
                           shown=picker(view, None), unit=unit, report=None)
    report = _report(view, unit, period)
    ranked, months_only = _ranking(view, period, by) if unit is None else (None, False)
    query = {**period_query(view), **({"unit": unit} if unit and view.operator else {})}
    exports = {kind: view.url("/console/reports/export", **query, format=kind,
                              **({"by": by} if unit is None else {})) for kind in FORMATS}
    ranking_exports = {kind: view.url("/console/reports/export", **query, format=kind,
                                      by=by, report="ranking") for kind in FORMATS}
    return view.render(
        "reports_page.html", shown=picker(view, period), unit=unit, report=report,
        period=period, ranked=ranked, months_only=months_only, by=by, rank_by=list(RANK_BY),
        charts=_charts(view, report, ranked), exports=exports,
        ranking_exports=ranking_exports, query=period_query(view),
        latency=[seconds_text(view, report.latency.median_seconds),
                 seconds_text(view, report.latency.p95_seconds)])


@console_route("/console/reports/export", ["GET"],
               summary="A traffic report as CSV or XLSX (the API's files)", who=UNIT_ADMIN)
def reports_export(view: View) -> Response:
    from chalicelib.services import reports
    suffix = format_of(view)
    period = period_of(view)
    unit = view.arg("unit") or (None if view.operator else view.unit)
    if view.arg("report") == "ranking":
        table = reports.ranking_export(view.deps, view.caller, period,
                                       view.arg("by") or None, None)
    elif unit is None:
        table = reports.province_table(view.deps, view.caller, period)
    else:
        table = reports.unit_table(view.deps, view.caller, unit, period)
    return download(view, table, suffix)
