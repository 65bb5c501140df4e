"""A unit's exchange history and connections as reports, in JSON, CSV and XLSX
(R-PROP-11, R-PROP-12; docs/reports.md). Thin handlers: the query is parsed here,
everything else is in `services.report_history`.

Registering this blueprint also declares the CSV and XLSX media types binary
(`app.api.binary_types`), so chalice base64-encodes the exports for API Gateway and the
local gateway decodes them.
"""

from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.api.exports import table_routes
from chalicelib.api.http import PAGING, Call, QueryParam, RouteSpec, api_route, page_limit
from chalicelib.domain import periods
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.history_report import DIRECTIONS, EVENTS, HistoryFilter
from chalicelib.domain.priority import Priority
from chalicelib.domain.report_history_schemas import ConnectionsReport, HistoryReport
from chalicelib.domain.tables import Table

report_history_api = Blueprint(__name__)

PERIOD_QUERY = (
    QueryParam("period", "day, month, quarter, year or range (default: month, or range "
               "when from/to are given), in the province's calendar.",
               {"type": "string", "enum": list(periods.KINDS)}),
    QueryParam("date", "The day (2026-11-29), month (2026-11), quarter (2026-Q4) or year "
               "(2026); default: the one running now.", {"type": "string"}),
    QueryParam("from", "period=range: the first day, YYYY-MM-DD.",
               {"type": "string", "format": "date"}),
    QueryParam("to", "period=range: the last day, YYYY-MM-DD (at most 366 days).",
               {"type": "string", "format": "date"}),
)
HISTORY_QUERY = (
    *PERIOD_QUERY,
    QueryParam("direction", "Only the messages the unit sent, or those it was sent.",
               {"type": "string", "enum": list(DIRECTIONS)}),
    QueryParam("counterpart", "Only the exchanges with this unit (its code).",
               {"type": "string"}),
    QueryParam("event", "Only this event.", {"type": "string", "enum": list(EVENTS)}),
    QueryParam("priority", "Only this priority (lines written before priorities were kept "
               "have none and never match).",
               {"type": "string", "enum": [p.value for p in Priority]}),
)
ERRORS = (400, 401, 403, 404)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _period(call: Call) -> periods.Period:
    """The query's period; without `date` (and no range), the one running now. What
    `periods.parse` would pass over is refused too: an empty `period`, `from`/`to` beside
    another kind of period, a day not written `YYYY-MM-DD`."""
    from chalicelib.services.report_history import default_date, today
    kind, when = call.query("period"), call.query("date")
    first, last = call.query("from"), call.query("to")
    if kind == "":
        raise InvalidRequestError("period must be one of day, month, quarter, year, range.",
                                  code="invalid_period")
    if (first is not None or last is not None) and kind not in (None, "range"):
        raise InvalidRequestError("from and to go with period=range only.",
                                  code="invalid_period")
    if any(day is not None and not _DAY.fullmatch(day) for day in (first, last)):
        raise InvalidRequestError("from and to are days, YYYY-MM-DD.", code="invalid_period")
    if when is None and first is None and last is None:
        when = default_date(kind or "month", today(call.deps))
    return periods.parse(kind, when, first, last)


def _filter(call: Call) -> HistoryFilter:
    return HistoryFilter.parse(direction=call.query("direction"),
                               counterpart=call.query("counterpart"),
                               event=call.query("event"), priority=call.query("priority"))


HISTORY = "/v1/reports/units/{code}/history"
ACCEPT = "send Accept: */* or the file's media type (API Gateway answers binary only then)"
CONNECTIONS = "/v1/reports/units/{code}/connections"


@api_route(report_history_api, RouteSpec(
    "GET", HISTORY, "A unit's exchanges of a period, oldest first, filtered, a page at a "
    "time (R-PROP-11): a page may hold fewer than limit items while next_cursor goes on",
    HistoryReport, query=(*HISTORY_QUERY, *PAGING), errors=ERRORS))
def unit_history(call: Call, code: str) -> HistoryReport:
    from chalicelib.services import report_history
    return report_history.history(call.deps, call.who, code, _period(call), _filter(call),
                                  limit=page_limit(call), cursor=call.query("cursor"))


def _history_table(call: Call, code: str) -> Table:
    from chalicelib.services import report_history
    return report_history.history_table(call.deps, call.who, code, _period(call),
                                        _filter(call))


table_routes(report_history_api, HISTORY, "A unit's exchanges of a period, every page "
             f"(at most 50,000 lines); {ACCEPT}", _history_table, query=HISTORY_QUERY,
             errors=ERRORS)


@api_route(report_history_api, RouteSpec(
    "GET", CONNECTIONS, "A unit's WebSocket sessions of a period, its online time and "
    "availability (R-PROP-12)", ConnectionsReport, query=PERIOD_QUERY, errors=ERRORS))
def unit_connections(call: Call, code: str) -> ConnectionsReport:
    from chalicelib.services import report_history
    return report_history.connections(call.deps, call.who, code, _period(call))


def _connections_table(call: Call, code: str) -> Table:
    from chalicelib.services import report_history
    return report_history.connections_table(call.deps, call.who, code, _period(call))


table_routes(report_history_api, CONNECTIONS, "A unit's WebSocket sessions of a period; "
             f"{ACCEPT}", _connections_table, query=PERIOD_QUERY, errors=ERRORS)
