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


def _failures_24h(view: View) -> dict[str, Any]:
    """Operators: the province's failures of the last 24 province hours, by kind and by
    hour (a chart); a unit admin: the unit's error-log lines of the last 24 hours."""
    now = view.deps.clock.now()
    if view.operator:
        from chalicelib.services import counters
        hours = counters.recent_failures(view.deps, now)
        kinds = ("rejected", "failures", "expired", "undeliverable")
        totals = {k: sum(c.get(k, 0) for _, c in hours) for k in kinds}
        labels = [label[-2:] + "h" for label, _ in hours]
        values = [sum(c.values()) for _, c in hours]
        chart = charts.bar_chart(labels, [(view.t["failures"], values)], every=3)
        return {"totals": totals, "chart": chart, "labels": labels, "values": [values]}
    from chalicelib.services import error_log
    today = province_date(now)
    period = Period("range", today - timedelta(days=1), today)
    log = error_log.error_log(view.deps, view.caller, view.unit, period, limit=20)
    return {"lines": [line for line in log.items if parse_iso(line.at) > now - 86400]}


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
                       requests=_requests(view), failures=failures,
                       recent=_failures_24h(view))
