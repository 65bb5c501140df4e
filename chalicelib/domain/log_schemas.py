"""Wire shapes of the audit log and of a unit's error log (docs/audit.md,
docs/reports.md). Metadata only: never content, secrets or request bodies."""

from __future__ import annotations

from typing import Literal

from .model import Model
from .report_schemas import ReportPeriod


class AuditLine(Model):
    at: str
    action: str  # the route: "POST /v1/admin/units/{code}/apps"
    target: dict[str, str]  # the route's path parameters: {"code": "000.00.01.H99"}
    unit: str | None  # the unit acted on
    outcome: Literal["ok", "refused", "failed"]
    status: int
    code: str | None  # the error code of a refusal or failure
    actor: str  # the person's account, else the app
    person: str | None
    app: str
    caller_unit: str
    request_id: str | None
    client_request_id: str | None = None
    detail: dict[str, str] | None = None


class AuditPage(Model):
    unit: str | None  # the unit whose lines these are; null: the province's
    period: ReportPeriod
    items: list[AuditLine]
    next_cursor: str | None = None


class Remedy(Model):
    vi: str
    en: str


class ErrorLine(Model):
    at: str
    kind: Literal["refused", "fetch_failed", "expired", "undeliverable", "webhook"]
    code: str
    message: str
    app: str | None  # the app that called (refused calls), if known
    route: str | None  # "POST /v1/messages"
    status: int | None  # the HTTP status of a refused call
    request_id: str | None
    client_request_id: str | None = None
    unverified: bool = False  # the signature only named one of the unit's keys
    message_id: str | None = None
    counterpart: str | None = None  # the other unit of an exchange
    remedy: Remedy


class ErrorLog(Model):
    unit: str
    period: ReportPeriod
    items: list[ErrorLine]
    next_cursor: str | None = None
