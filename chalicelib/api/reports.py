"""Traffic reports over REST, each as JSON, CSV and XLSX (R-PROP-11, R-PROP-12;
docs/reports.md): a unit's, the province's and the ranking of units.

Thin handlers: the period is parsed by `domain/periods.py`, everything else is in
`services/reports.py`. Every route is signed, or takes a person's `lgsp:admin` token
(`/v1/reports` is among `http.PEOPLE_PATHS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.exports import table_routes
from chalicelib.api.http import Call, QueryParam, RouteSpec, WireModels, api_route, page_limit
from chalicelib.api.report_query import PERIOD_QUERY, period_of
from chalicelib.domain.traffic import MAX_RANKED

if TYPE_CHECKING:
    from chalicelib.domain.report_schemas import ProvinceReport, Ranking, UnitReport

models = WireModels("chalicelib.domain.report_schemas")

if TYPE_CHECKING:
    from chalicelib.domain.tables import Table


reports_api = Blueprint(__name__)

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


def _limit(call: Call, default: int | None) -> int | None:
    if call.query("limit") is None:
        return default
    return page_limit(call, maximum=MAX_RANKED)


@api_route(reports_api, RouteSpec(
    "GET", UNIT_PATH, "A unit's traffic over a period: totals, by priority, confirmation "
    "latency, per day or month (the unit itself and operators)", models.UnitReport,
    query=PERIOD_QUERY, errors=(*ERRORS, 404)))
def unit_report(call: Call, code: str) -> UnitReport:
    from chalicelib.services import reports
    return reports.unit_report(call.deps, call.who, code, period_of(call))


def _unit_table(call: Call, code: str) -> Table:
    from chalicelib.services import reports
    return reports.unit_table(call.deps, call.who, code, period_of(call))


table_routes(reports_api, UNIT_PATH, "A unit's traffic report", _unit_table,
             query=PERIOD_QUERY, errors=(*ERRORS, 404))


@api_route(reports_api, RouteSpec(
    "GET", "/v1/reports/province", "Operators: the province's traffic over a period",
    models.ProvinceReport, query=PERIOD_QUERY, errors=ERRORS))
def province_report(call: Call) -> ProvinceReport:
    from chalicelib.services import reports
    return reports.province_report(call.deps, call.who, period_of(call))


def _province_table(call: Call) -> Table:
    from chalicelib.services import reports
    return reports.province_table(call.deps, call.who, period_of(call))


table_routes(reports_api, "/v1/reports/province", "The province's traffic report",
             _province_table, query=PERIOD_QUERY, errors=ERRORS)


@api_route(reports_api, RouteSpec(
    "GET", "/v1/reports/ranking", "Operators: units ranked by a figure over whole months",
    models.Ranking, query=RANKING_QUERY, errors=ERRORS))
def ranking(call: Call) -> Ranking:
    from chalicelib.services import reports
    return reports.ranking(call.deps, call.who, period_of(call), call.query("by"),
                           _limit(call, 50))


def _ranking_table(call: Call) -> Table:
    from chalicelib.services import reports
    return reports.ranking_export(call.deps, call.who, period_of(call), call.query("by"),
                                  _limit(call, None))


table_routes(reports_api, "/v1/reports/ranking", "The ranking of units", _ranking_table,
             query=RANKING_QUERY, errors=ERRORS)
