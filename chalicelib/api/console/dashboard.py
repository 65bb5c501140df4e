"""The console's first page: today's traffic, the last 30 days as a chart, who is online
and which requests are due (operators: the province; a unit admin: their unit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Response

from chalicelib.api.console.base import View, console_route
from chalicelib.domain import charts
from chalicelib.domain.periods import Period
from chalicelib.domain.times import parse_iso, province_date

DAYS = 30
DUE_SOON_SECONDS = 3 * 86400


def failures(day: Any) -> int:
    return int(day.rejected + day.failed_fetches + day.expired + day.undeliverable)


def last_days(view: View) -> Any:
    """The report of the last 30 province days: the province's, or the unit's."""
    from chalicelib.services import reports
    today = province_date(view.deps.clock.now())
    period = Period("range", today - timedelta(days=DAYS - 1), today)
    if view.operator:
        return reports.province_report(view.deps, view.caller, period)
    return reports.unit_report(view.deps, view.caller, view.unit, period)


def _requests(view: View) -> list[Any]:
    """Open requests answered within 3 days or overdue, overdue first."""
    from chalicelib.services import join_requests
    now = view.deps.clock.now()
    if view.operator:
        listed = join_requests.list_requests(view.deps, view.caller, unit=None,
                                             state="submitted", limit=50, cursor=None)
    elif view.unit_admin:
        listed = join_requests.list_requests(view.deps, view.caller, unit=view.unit,
                                             state=None, limit=50, cursor=None)
    else:
        return []
    return [r for r in listed.items if r.state == "submitted" and r.due_at
            and parse_iso(r.due_at) - now <= DUE_SOON_SECONDS]


@console_route("/console", ["GET"], summary="The console's dashboard")
def dashboard(view: View) -> Response:
    from chalicelib.services import presence
    report = last_days(view)
    t = view.t
    labels = [d.day[5:] for d in report.days]
    values = [[d.sent for d in report.days], [d.received for d in report.days],
              [failures(d) for d in report.days]]
    chart = charts.bar_chart(labels, [(t["sent"], values[0]), (t["received"], values[1]),
                                      (t["failures"], values[2])])
    online = presence.online_units(view.deps, view.caller, limit=50, cursor=None) \
        if view.operator else None
    return view.render("dashboard.html", report=report, today=report.days[-1], chart=chart,
                       labels=labels, values=values, online=online,
                       requests=_requests(view), failures=failures)
