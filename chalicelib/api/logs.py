"""The audit log of admin actions and each unit's error log, in JSON, CSV and XLSX
(R-OPS-5; docs/audit.md, docs/reports.md). Thin handlers: the query is parsed here,
everything else is in `services.audit_log` and `services.error_log`."""

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
from chalicelib.domain.remedies import KINDS
from chalicelib.domain.tables import Table

if TYPE_CHECKING:
    from chalicelib.domain.log_schemas import AuditPage, ErrorLog

models = WireModels("chalicelib.domain.log_schemas")

logs_api = Blueprint(__name__)

ACCEPT = "send Accept: */* or the file's media type (API Gateway answers binary only then)"
ERRORS = (400, 401, 403, 404)
AUDIT = "/v1/admin/audit"
UNIT_AUDIT = "/v1/admin/units/{code}/audit"
UNIT_ERRORS = "/v1/reports/units/{code}/errors"

AUDIT_FILTERS = (
    *PERIOD_QUERY,
    QueryParam("actor", "Only the actions of this person's account or app.",
               {"type": "string"}),
    QueryParam("action", "Only this action: a method and route, `POST /v1/admin/units`.",
               {"type": "string"}),
)
AUDIT_QUERY = (
    *AUDIT_FILTERS,
    QueryParam("unit", "Only the actions on this unit (its code).", {"type": "string"}),
)
ERROR_QUERY = (
    *PERIOD_QUERY,
    QueryParam("kind", "Only this kind of line.", {"type": "string", "enum": list(KINDS)}),
    QueryParam("code", "Only this error code (`signature_invalid`, `clock_skew`, ...).",
               {"type": "string"}),
    QueryParam("app", "Only the lines of this app (its id).", {"type": "string"}),
)


@api_route(logs_api, RouteSpec(
    "GET", AUDIT, "Operators: the province's admin actions of a period, newest first, "
    "with who did them (a page may hold fewer than limit items while next_cursor goes on)",
    models.AuditPage, query=(*AUDIT_QUERY, *PAGING), errors=ERRORS))
def audit(call: Call) -> AuditPage:
    from chalicelib.services import audit_log
    return audit_log.search(call.deps, call.who, period=period_of(call),
                            unit=call.query("unit"), actor=call.query("actor"),
                            action=call.query("action"), limit=page_limit(call),
                            cursor=call.query("cursor"))


def _audit_table(call: Call) -> Table:
    from chalicelib.services import audit_log
    return audit_log.table(call.deps, call.who, period=period_of(call),
                           unit=call.query("unit"), actor=call.query("actor"),
                           action=call.query("action"))


table_routes(logs_api, AUDIT, f"Operators: the province's admin actions of a period; {ACCEPT}",
             _audit_table, query=AUDIT_QUERY, errors=ERRORS)


@api_route(logs_api, RouteSpec(
    "GET", UNIT_AUDIT, "The admin actions on a unit of a period, newest first (operators "
    "and the unit's admins)", models.AuditPage, query=(*AUDIT_FILTERS, *PAGING), errors=ERRORS))
def unit_audit(call: Call, code: str) -> AuditPage:
    from chalicelib.services import audit_log
    return audit_log.search(call.deps, call.who, period=period_of(call), unit=code,
                            actor=call.query("actor"), action=call.query("action"),
                            limit=page_limit(call), cursor=call.query("cursor"))


def _unit_audit_table(call: Call, code: str) -> Table:
    from chalicelib.services import audit_log
    return audit_log.table(call.deps, call.who, period=period_of(call), unit=code,
                           actor=call.query("actor"), action=call.query("action"))


table_routes(logs_api, UNIT_AUDIT, f"The admin actions on a unit of a period; {ACCEPT}",
             _unit_audit_table, query=AUDIT_FILTERS, errors=ERRORS)


@api_route(logs_api, RouteSpec(
    "GET", UNIT_ERRORS, "A unit's error log of a period, newest first (R-OPS-5): refused "
    "calls, failed fetches, expired and undeliverable messages, each with what to do",
    models.ErrorLog, query=(*ERROR_QUERY, *PAGING), errors=ERRORS))
def unit_errors(call: Call, code: str) -> ErrorLog:
    from chalicelib.services import error_log
    return error_log.error_log(call.deps, call.who, code, period_of(call),
                               kind=call.query("kind"), error_code=call.query("code"),
                               app=call.query("app"), limit=page_limit(call),
                               cursor=call.query("cursor"))


def _errors_table(call: Call, code: str) -> Table:
    from chalicelib.services import error_log
    return error_log.error_table(call.deps, call.who, code, period_of(call),
                                 kind=call.query("kind"), error_code=call.query("code"),
                                 app=call.query("app"))


table_routes(logs_api, UNIT_ERRORS, f"A unit's error log of a period; {ACCEPT}",
             _errors_table, query=ERROR_QUERY, errors=ERRORS)
