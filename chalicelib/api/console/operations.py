"""The console's operations pages: maintenance notices (R-OPS-4), the audit log of admin
actions, and a unit's error log with what to do about each line (R-OPS-5).

Each page calls the service the API calls, with the signed-in person as the caller: the
services decide who sees what (a unit admin: their own unit only).
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.api.console.base import OPERATOR, UNIT_ADMIN, View, console_route, nav_item
from chalicelib.api.console.reports import download, format_of, period_of, period_query, picker
from chalicelib.domain import notices as rules
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.remedies import KINDS

PAGE = 50
nav_item("/console/notices", "nav_notices", None)
nav_item("/console/audit", "nav_audit", None)
nav_item("/console/errors", "nav_errors", None)


# -- maintenance notices -------------------------------------------------------------------


def _local_iso(text: str) -> str:
    """A `datetime-local` field (the province's wall clock) as ISO-8601 with its offset."""
    return f"{text}:00+07:00" if len(text) == 16 else text


def _notice_request(view: View) -> Any:
    from chalicelib.domain.notice_schemas import NoticeRequest
    payload: dict[str, Any] = {
        "title": view.field("title"), "body": view.field("body").replace("\r\n", "\n"),
        "severity": view.field("severity"), "services": view.fields("services") or ["all"],
        "ends_at": _local_iso(view.field("ends_at"))}
    if view.field("starts_at"):
        payload["starts_at"] = _local_iso(view.field("starts_at"))
    return NoticeRequest.model_validate_json(json.dumps(payload), strict=True)


def _notices_page(view: View, *, status: int = 200, error: str | None = None,
                  notice: str | None = None) -> Response:
    from chalicelib.services import notices
    everything = notices.list_all(view.deps, view.caller, limit=PAGE,
                                  cursor=view.arg("cursor") or None) if view.operator else None
    return view.render("operations_notices.html", status=status, error=error, notice=notice,
                       current=notices.current(view.deps).items, everything=everything,
                       severities=rules.SEVERITIES, services=rules.SERVICES,
                       form={k: view.field(k) for k in ("title", "body", "severity",
                                                         "starts_at", "ends_at")},
                       chosen=view.fields("services"))


@console_route("/console/notices", ["GET", "POST"],
               summary="Maintenance notices: the current ones; operators compose")
def notices_page(view: View) -> Response:
    from pydantic import ValidationError

    from chalicelib.services import notices
    if view.page.request.method == "GET":
        done = {"published": view.t["notice_published"],
                "cancelled": view.t["notice_cancelled"]}.get(view.arg("done"))
        return _notices_page(view, notice=done)
    if not view.operator:
        return view.refusal(403, view.t["refused_page"], code="forbidden")
    try:
        body = _notice_request(view)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return _notices_page(view, status=400, error=f"{where}: {first['msg']}")
    try:
        notices.publish(view.deps, view.caller, body)
    except InvalidRequestError as err:  # the window or the text: the form again, with why
        return _notices_page(view, status=err.status, error=f"{err.message} ({err.code})")
    return view.redirect("/console/notices", done="published")


@console_route("/console/notices/{notice_id}/cancel", ["POST"],
               summary="Cancel a maintenance notice", who=OPERATOR)
def notice_cancel(view: View, notice_id: str) -> Response:
    from chalicelib.services import notices
    notices.cancel(view.deps, view.caller, notice_id)
    return view.redirect("/console/notices", done="cancelled")


# -- the audit log -------------------------------------------------------------------------


def _audit_query(view: View) -> dict[str, Any]:
    unit = view.arg("unit") or (None if view.operator else view.unit)
    return {"period": period_of(view), "unit": unit, "actor": view.arg("actor") or None,
            "action": view.arg("action") or None}


@console_route("/console/audit", ["GET"], summary="The audit log of admin actions",
               who=UNIT_ADMIN)
def audit_page(view: View) -> Response:
    from chalicelib.services import audit_log
    query = _audit_query(view)
    page = audit_log.search(view.deps, view.caller, limit=PAGE,
                            cursor=view.arg("cursor") or None, **query)
    filters = {k: view.arg(k) for k in ("unit", "actor", "action")}
    here = {**period_query(view), **{k: v for k, v in filters.items() if v}}
    return view.render("operations_audit.html", lines=page.items,
                       next_cursor=page.next_cursor, shown=picker(view, query["period"]),
                       filters=filters, here=here, period=query["period"])


@console_route("/console/audit/export", ["GET"], summary="The audit log as CSV or XLSX",
               who=UNIT_ADMIN)
def audit_export(view: View) -> Response:
    from chalicelib.services import audit_log
    suffix = format_of(view)
    return download(view, audit_log.table(view.deps, view.caller, **_audit_query(view)),
                    suffix)


# -- a unit's error log --------------------------------------------------------------------


def _errors_query(view: View) -> tuple[str, dict[str, Any]]:
    unit = (view.arg("unit") if view.operator else "") or view.unit
    kind = view.arg("kind") or None
    return unit, {"kind": kind if kind in KINDS else None,
                  "error_code": view.arg("code") or None, "app": view.arg("app") or None}


@console_route("/console/errors", ["GET"], summary="A unit's error log, with what to do")
def errors_page(view: View) -> Response:
    from chalicelib.services import error_log
    unit, query = _errors_query(view)
    period = period_of(view)
    log = error_log.error_log(view.deps, view.caller, unit, period, limit=PAGE,
                              cursor=view.arg("cursor") or None, **query)
    here = {**period_query(view), "unit": unit if view.operator else "",
            "kind": view.arg("kind"), "code": view.arg("code"), "app": view.arg("app")}
    return view.render("operations_errors.html", log=log, unit=unit, kinds=KINDS,
                       shown=picker(view, period), here={k: v for k, v in here.items() if v},
                       filters={"kind": view.arg("kind"), "code": view.arg("code"),
                                "app": view.arg("app"), "unit": unit})


@console_route("/console/errors/export", ["GET"], summary="A unit's error log as CSV or XLSX")
def errors_export(view: View) -> Response:
    from chalicelib.services import error_log
    unit, query = _errors_query(view)
    suffix = format_of(view)
    return download(view, error_log.error_table(view.deps, view.caller, unit,
                                                period_of(view), **query), suffix)
