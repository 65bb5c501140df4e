"""Traffic reports over REST, each as JSON, CSV and XLSX (R-PROP-11, R-PROP-12;
docs/reports.md): a unit's, the province's and the ranking of units.

Thin handlers: the period is parsed by `domain/periods.py`, everything else is in
`services/reports.py`. Every route is signed, or takes a person's `lgsp:admin` token
(`/v1/reports` is among `http.PEOPLE_PATHS`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Chalice

from chalicelib.api.exports import XLSX_TYPE, table_routes
from chalicelib.api.http import Call, QueryParam, RouteSpec, api_route, page_limit
from chalicelib.domain.report_schemas import ProvinceReport, Ranking, UnitReport
from chalicelib.domain.traffic import MAX_RANKED

if TYPE_CHECKING:
    from chalicelib.domain.periods import Period
    from chalicelib.domain.tables import Table


class _ExportsBlueprint(Blueprint):
    """Once registered, chalice treats the exports' media types as binary: it base64-encodes
    them for API Gateway (and the local gateway decodes them), as for the joining letters.
    A caller sends `Accept: */*` (any HTTP library's default) or the export's type."""

    def register(self, app: Chalice, options: dict[str, Any]) -> None:
        super().register(app, options)
        for media_type in EXPORT_TYPES:
            if media_type not in app.api.binary_types:
                app.api.binary_types.append(media_type)


EXPORT_TYPES = ("text/csv", XLSX_TYPE)
reports_api = _ExportsBlueprint(__name__)

PERIOD_QUERY = (
    QueryParam("period", "day, month (the default), quarter, year, or range (with from and "
               "to), in the province's calendar.",
               {"type": "string", "enum": ["day", "month", "quarter", "year", "range"]}),
    QueryParam("date", "The day (2026-11-29), month (2026-11), quarter (2026-Q4) or year "
               "(2026) asked for; default: the current one.", {"type": "string"}),
    QueryParam("from", "A range's first day (YYYY-MM-DD).",
               {"type": "string", "format": "date"}),
    QueryParam("to", "A range's last day, included (YYYY-MM-DD; at most 366 days).",
               {"type": "string", "format": "date"}),
)
RANKING_QUERY = (
    *PERIOD_QUERY,
    QueryParam("by", "What units are ranked by, highest first (default sent).",
               {"type": "string", "enum": ["sent", "received", "failures", "rejected",
                                           "expired", "undeliverable"]}),
    QueryParam("limit", "Units listed (default 50 in JSON, every unit in the exports).",
               {"type": "integer", "minimum": 1, "maximum": MAX_RANKED}),
)
ERRORS = (400, 401, 403)
UNIT_PATH = "/v1/reports/units/{code}"


def current(kind: str, today: date) -> str:
    """The `date` of the day, month, quarter or year holding `today`."""
    if kind == "day":
        return today.isoformat()
    if kind == "quarter":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return str(today.year) if kind == "year" else today.isoformat()[:7]


def _period(call: Call) -> Period:
    """The period asked for; without `date` (and not a range), the current one in the
    province's calendar: `GET /v1/reports/province` is this month's."""
    from chalicelib.domain.errors import InvalidRequestError
    from chalicelib.domain.periods import parse
    from chalicelib.domain.times import province_day
    kind, when = call.query("period"), call.query("date")
    first, last = call.query("from"), call.query("to")
    for name, value in (("period", kind), ("date", when), ("from", first), ("to", last)):
        if value == "":
            raise InvalidRequestError(f"{name} is empty: give a value or leave it out.",
                                      code="invalid_period")
    ranged = kind == "range" or (kind is None and (first is not None or last is not None))
    if (ranged and when is not None) or (not ranged and (first, last) != (None, None)):
        raise InvalidRequestError("date goes with period=day, month, quarter or year; from "
                                  "and to with period=range.", code="invalid_period")
    if when is None and not ranged:
        today = date.fromisoformat(province_day(call.deps.clock.now()))
        when = current(kind or "month", today)
    return parse(kind, when, first, last)


def _limit(call: Call, default: int | None) -> int | None:
    if call.query("limit") is None:
        return default
    return page_limit(call, maximum=MAX_RANKED)


@api_route(reports_api, RouteSpec(
    "GET", UNIT_PATH, "A unit's traffic over a period: totals, by priority, confirmation "
    "latency, per day or month (the unit itself and operators)", UnitReport,
    query=PERIOD_QUERY, errors=(*ERRORS, 404)))
def unit_report(call: Call, code: str) -> UnitReport:
    from chalicelib.services import reports
    return reports.unit_report(call.deps, call.who, code, _period(call))


def _unit_table(call: Call, code: str) -> Table:
    from chalicelib.services import reports
    return reports.unit_table(call.deps, call.who, code, _period(call))


table_routes(reports_api, UNIT_PATH, "A unit's traffic report", _unit_table,
             query=PERIOD_QUERY, errors=(*ERRORS, 404))


@api_route(reports_api, RouteSpec(
    "GET", "/v1/reports/province", "Operators: the province's traffic over a period",
    ProvinceReport, query=PERIOD_QUERY, errors=ERRORS))
def province_report(call: Call) -> ProvinceReport:
    from chalicelib.services import reports
    return reports.province_report(call.deps, call.who, _period(call))


def _province_table(call: Call) -> Table:
    from chalicelib.services import reports
    return reports.province_table(call.deps, call.who, _period(call))


table_routes(reports_api, "/v1/reports/province", "The province's traffic report",
             _province_table, query=PERIOD_QUERY, errors=ERRORS)


@api_route(reports_api, RouteSpec(
    "GET", "/v1/reports/ranking", "Operators: units ranked by a figure over whole months",
    Ranking, query=RANKING_QUERY, errors=ERRORS))
def ranking(call: Call) -> Ranking:
    from chalicelib.services import reports
    return reports.ranking(call.deps, call.who, _period(call), call.query("by"),
                           _limit(call, 50))


def _ranking_table(call: Call) -> Table:
    from chalicelib.services import reports
    return reports.ranking_export(call.deps, call.who, _period(call), call.query("by"),
                                  _limit(call, None))


table_routes(reports_api, "/v1/reports/ranking", "The ranking of units", _ranking_table,
             query=RANKING_QUERY, errors=ERRORS)
