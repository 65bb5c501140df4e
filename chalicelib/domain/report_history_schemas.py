"""Wire shapes of the exchange-history and connection reports (R-PROP-11, R-PROP-12;
docs/reports.md)."""

from __future__ import annotations

from typing import Literal

from .model import Model
from .report_schemas import ReportPeriod


class HistoryItem(Model):
    at: str
    message_id: str
    event: Literal["sent", "received", "rejected", "expired"]
    direction: Literal["sent", "received"]
    counterparts: list[str]
    priority: str | None = None  # null on lines written before priorities were kept
    size: int


class HistoryReport(Model):
    unit: str
    period: ReportPeriod
    items: list[HistoryItem]
    next_cursor: str | None = None


class SessionView(Model):
    connected_at: str | None  # null only if its line has expired (older than 400 days)
    disconnected_at: str | None  # null while the connection is open
    seconds: int  # within the period
    app: str | None


class ConnectionsReport(Model):
    unit: str
    period: ReportPeriod
    online_seconds: int
    availability: float | None  # null before the period begins
    sessions: list[SessionView]
    connects: int
