"""Wire shapes of the unit, province and ranking reports (R-PROP-11, R-PROP-12;
docs/reports.md says what each figure means)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from .model import Model
from .periods import Period


class ReportPeriod(Model):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    kind: str
    label: str
    first: str = Field(alias="from", description="The first day, YYYY-MM-DD.")
    last: str = Field(alias="to", description="The last day (included), YYYY-MM-DD.")

    @classmethod
    def of(cls, period: Period) -> ReportPeriod:
        return cls(kind=period.kind, label=period.label, first=period.first.isoformat(),
                   last=period.last.isoformat())


class Totals(Model):
    sent: int
    bytes_sent: int
    received: int
    bytes_received: int
    rejected: int
    failed_fetches: int
    expired: int
    undeliverable: int


class PriorityFigures(Model):
    sent: int
    received: int


class ByPriority(Model):
    hoa_toc: PriorityFigures
    thuong_khan: PriorityFigures
    khan: PriorityFigures
    thuong: PriorityFigures


class ServiceFigures(Model):
    calls: int
    bytes_sent: int = Field(description="Request bodies for a consumer, answers for a "
                                        "provider.")
    bytes_received: int
    failures: int = Field(description="Calls without a usable answer, or answered 5xx.")


class ServiceCalls(Model):
    """Calls through the catalogue's proxy (docs/catalogue.md, "Proxy mode")."""

    consumer: ServiceFigures = Field(description="Calls the unit's apps made.")
    provider: ServiceFigures = Field(description="Calls the unit's services served.")


class Latency(Model):
    confirmed: int = Field(description="Confirmations whose latency was measured.")
    median_seconds: int | None = Field(
        description="Upper edge of the histogram bucket holding the median; null without "
                    "any confirmation.")
    p95_seconds: int | None


class Events(Model):
    sent: int
    received: int
    rejected: int
    failed_fetches: int
    expired: int
    undeliverable: int


class DayFigures(Events):
    day: str


class MonthFigures(Events):
    month: str


class ProvinceReport(Model):
    period: ReportPeriod
    units: int = Field(description="Units registered and not dissolved, at the time of "
                                   "the report.")
    totals: Totals
    by_priority: ByPriority
    latency: Latency
    services: ServiceCalls
    days: list[DayFigures] | list[MonthFigures]


class UnitReport(Model):
    unit: str
    unit_name: str
    period: ReportPeriod
    totals: Totals
    by_priority: ByPriority
    latency: Latency
    services: ServiceCalls
    days: list[DayFigures] | list[MonthFigures]


class RankedUnit(Events):
    unit: str
    unit_name: str


class Ranking(Model):
    period: ReportPeriod
    by: str
    items: list[RankedUnit]
