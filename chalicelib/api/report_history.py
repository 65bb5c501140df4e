"""A unit's exchange history and connections as reports, in JSON, CSV and XLSX
(R-PROP-11, R-PROP-12; docs/reports.md). Thin handlers: the query is parsed here,
everything else is in `services.report_history`.

Registering this blueprint also declares the CSV and XLSX media types binary
(`app.api.binary_types`), so chalice base64-encodes the exports for API Gateway and the
local gateway decodes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.exports import table_routes
from chalicelib.api.http import (
    PAGING,
    Call,
    QueryParam,
    RouteSpec,
    WireModels,
    api_route,
    page_limit,
)
from chalicelib.api.report_query import PERIOD_QUERY, period_of
from chalicelib.domain.history_report import DIRECTIONS, EVENTS, HistoryFilter
from chalicelib.domain.priority import Priority
from chalicelib.domain.tables import Table

if TYPE_CHECKING:
    from chalicelib.domain.report_history_schemas import ConnectionsReport, HistoryReport

models = WireModels("chalicelib.domain.report_history_schemas")

report_history_api = Blueprint(__name__)

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
    models.HistoryReport, query=(*HISTORY_QUERY, *PAGING), errors=ERRORS))
def unit_history(call: Call, code: str) -> HistoryReport:
    from chalicelib.services import report_history
    return report_history.history(call.deps, call.who, code, period_of(call), _filter(call),
                                  limit=page_limit(call), cursor=call.query("cursor"))


def _history_table(call: Call, code: str) -> Table:
    from chalicelib.services import report_history
    return report_history.history_table(call.deps, call.who, code, period_of(call),
                                        _filter(call))


table_routes(report_history_api, HISTORY, "A unit's exchanges of a period, every page "
             f"(at most 50,000 lines); {ACCEPT}", _history_table, query=HISTORY_QUERY,
             errors=ERRORS)


@api_route(report_history_api, RouteSpec(
    "GET", CONNECTIONS, "A unit's WebSocket sessions of a period, its online time and "
    "availability (R-PROP-12)", models.ConnectionsReport, query=PERIOD_QUERY, errors=ERRORS))
def unit_connections(call: Call, code: str) -> ConnectionsReport:
    from chalicelib.services import report_history
    return report_history.connections(call.deps, call.who, code, period_of(call))


def _connections_table(call: Call, code: str) -> Table:
    from chalicelib.services import report_history
    return report_history.connections_table(call.deps, call.who, code, period_of(call))


table_routes(report_history_api, CONNECTIONS, "A unit's WebSocket sessions of a period; "
             f"{ACCEPT}", _connections_table, query=PERIOD_QUERY, errors=ERRORS)
