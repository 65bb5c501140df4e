"""Wire shapes of the exchange-history and connection reports (R-PROP-11, R-PROP-12;
docs/reports.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .model import Model
from .periods import Period


class ReportPeriod(Model):
    """The period a report covers, in the province's calendar (`from`/`to` inclusive)."""

    model_config = ConfigDict(defer_build=True, populate_by_name=True,
                              serialize_by_alias=True)
    kind: str
    label: str
    from_: str = Field(alias="from")
    to: str

    @classmethod
    def of(cls, period: Period) -> ReportPeriod:
        return cls(kind=period.kind, label=period.label, from_=period.first.isoformat(),
                   to=period.last.isoformat())


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
