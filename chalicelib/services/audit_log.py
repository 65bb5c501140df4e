"""The audit log: every admin action with who did it (R-OPS-3, R-OPS-5; docs/audit.md).

Each action is one line in the province's partition of the month (what operators read)
and one in the partition of the unit acted on (what that unit's admins read), written
together. A line keeps metadata only: the route, its path parameters, the outcome and
error code, the person and app, the request id. Never a body, a secret or content.
Lines expire after `AUDIT_KEEP_SECONDS` (two years).

    audit_log.record(deps, caller, "POST /v1/admin/units/{code}/apps",
                     unit="000.00.01.H99", target={"code": "000.00.01.H99"})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain import keys
from chalicelib.domain.log_pages import Filter
from chalicelib.domain.log_schemas import AuditLine, AuditPage
from chalicelib.domain.logs import AUDIT_KEEP_SECONDS, OUTCOMES
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item, Put
from chalicelib.domain.report_schemas import ReportPeriod
from chalicelib.domain.signatures import Caller
from chalicelib.domain.tables import Column, Table
from chalicelib.domain.times import PROVINCE_TZ, iso, province_month
from chalicelib.services import units
from chalicelib.services.deps import Deps
from chalicelib.services.log_reader import read, read_all
from chalicelib.services.roles import require_operator, require_unit_admin

TAG = "audit"
MAX_TEXT = 200  # each value of target and detail is cut to this


def record(deps: Deps, caller: Caller, action: str, *, unit: str | None = None,
           target: Mapping[str, str] | None = None, outcome: str = "ok",
           status: int | None = None, code: str | None = None, request_id: str | None = None,
           client_request_id: str | None = None,
           detail: Mapping[str, str] | None = None) -> None:
    """Write one admin action: in the province's month and in the month of `unit` (the
    unit acted on; default the caller's). `detail` is metadata the caller chose (never a
    secret or content); values are cut to 200 characters."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    at, line_id = deps.clock.now(), deps.ids.new_id()
    month, acted_on = province_month(at), unit or caller.unit
    line: Item = {
        "kind": "audit", "at": at, "action": action, "target": _short(target or {}),
        "unit": acted_on, "outcome": outcome,
        "status": status if status is not None else (200 if outcome == "ok" else 400),
        "code": code, "actor": caller.actor, "person": caller.person, "app": caller.app,
        "caller_unit": caller.unit, "request_id": request_id,
        "client_request_id": client_request_id,
        "detail": _short(detail) if detail else None, "ttl": at + AUDIT_KEEP_SECONDS}
    pk, sk = keys.audit_line(month, at, line_id)
    upk, usk = keys.unit_audit_line(acted_on, month, at, line_id)
    deps.table.transact([Put({**line, "pk": pk, "sk": sk}),
                         Put({**line, "pk": upk, "sk": usk})])


def _short(values: Mapping[str, str]) -> dict[str, str]:
    return {str(k)[:MAX_TEXT]: str(v)[:MAX_TEXT] for k, v in values.items()}


def _scope(deps: Deps, caller: Caller, unit: str | None) -> None:
    """The province's log is the operators'; a unit's, its admins' too (403 otherwise)."""
    if unit is None:
        require_operator(deps, caller)
        return
    require_unit_admin(deps, caller, unit)
    units.require_unit(deps, unit)


def _partition(unit: str | None) -> Callable[[str], str]:
    if unit is None:
        return keys.audit_partition
    return lambda month: keys.unit_audit_partition(unit, month)


def search(deps: Deps, caller: Caller, *, period: Period, unit: str | None = None,
           actor: str | None = None, action: str | None = None, limit: int = 50,
           cursor: str | None = None) -> AuditPage:
    """One page of admin actions of the period, newest first: the province's (operators)
    or those on `unit` (operators and that unit's admins), filtered by actor and action."""
    _scope(deps, caller, unit)
    lines, next_cursor = read(deps, _partition(unit), tag=TAG, scope=unit or "*",
                              period=period, wanted=_filter(actor, action), limit=limit,
                              cursor=cursor)
    return AuditPage(unit=unit, period=ReportPeriod.of(period),
                     items=[line_view(line) for line in lines], next_cursor=next_cursor)


def _filter(actor: str | None, action: str | None) -> Filter:
    return Filter({"actor": actor, "action": action})


def line_view(line: Item) -> AuditLine:
    return AuditLine(
        at=iso(int(line["at"])), action=line["action"], target=dict(line.get("target") or {}),
        unit=line.get("unit"), outcome=line["outcome"], status=int(line["status"]),
        code=line.get("code"), actor=line["actor"], person=line.get("person"),
        app=line["app"], caller_unit=line["caller_unit"], request_id=line.get("request_id"),
        client_request_id=line.get("client_request_id"), detail=line.get("detail"))


COLUMNS = (
    Column("at", "Thời điểm", "datetime"), Column("action", "Thao tác"),
    Column("target", "Đối tượng"), Column("unit", "Đơn vị"), Column("outcome", "Kết quả"),
    Column("status", "Mã HTTP", "int"), Column("code", "Mã lỗi"),
    Column("actor", "Người/ứng dụng thực hiện"), Column("person", "Tài khoản"),
    Column("app", "Ứng dụng"), Column("caller_unit", "Đơn vị thực hiện"),
    Column("request_id", "Mã yêu cầu"))


def table(deps: Deps, caller: Caller, *, period: Period, unit: str | None = None,
          actor: str | None = None, action: str | None = None) -> Table:
    """Every line of the period the filters keep, for the CSV and XLSX exports."""
    _scope(deps, caller, unit)
    lines = read_all(deps, _partition(unit), tag=TAG, scope=unit or "*", period=period,
                     wanted=_filter(actor, action))
    rows: list[dict[str, Any]] = []
    for line in lines:
        view = line_view(line)
        rows.append({**view.model_dump(exclude={"detail", "client_request_id"}),
                     "at": datetime.fromtimestamp(int(line["at"]), PROVINCE_TZ),
                     "target": ", ".join(f"{k}={v}" for k, v in view.target.items())})
    return Table(f"nhat-ky-quan-tri-{unit or 'tinh'}-{period.label}", COLUMNS, rows)
