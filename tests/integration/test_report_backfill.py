"""The province's counters and the ranking for the time before they were counted
(R-PROP-11; services/report_backfill.py): after an upgrade, the province report and the
ranking of earlier months and days equal the sum of the units' own counters, the month
the province counting began holds its earlier days once, and a second run changes
nothing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.services import registry, report_backfill
from tests.integration.test_exchange_flow import send
from tests.integration.test_reports import ICT, at, get
from tests.support.hub import UNIT_A, UNIT_B, SignedClient, World
from tests.support.sso import BASE

OPERATOR = "000.00.30.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": BASE}


def counted_before(hub: World, unit: str, sk: str, **counts: int) -> None:
    """A unit's counters written before the province was counted (no province item)."""
    pk = keys.stats_partition(unit)
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "counters", "unit": unit, **counts})


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def province(client: SignedClient, query: str) -> dict[str, int]:
    report = get(client, f"/v1/reports/province?{query}")
    assert report.status == 200, report.body
    return report.body["totals"]


def test_the_province_and_the_ranking_get_the_units_earlier_figures_once(
        hub: World, operator: SignedClient) -> None:
    counted_before(hub, UNIT_A, "D#2026-09-15", sent=3, bytes_sent=300)
    counted_before(hub, UNIT_A, "M#2026-09", sent=3, bytes_sent=300)
    counted_before(hub, UNIT_B, "D#2026-09-16", received=3, bytes_received=300)
    counted_before(hub, UNIT_B, "M#2026-09", received=3, bytes_received=300)
    counted_before(hub, UNIT_A, "DAY#2026-10-02", sent=2, bytes_sent=20)  # a legacy UTC day
    counted_before(hub, UNIT_A, "D#2026-11-05", sent=4, bytes_sent=40, rejected=1)
    counted_before(hub, UNIT_A, "M#2026-11", sent=4, bytes_sent=40, rejected=1)
    at(hub, datetime(2026, 11, 20, 10, 0, tzinfo=ICT))  # the province counted from here
    send(hub, b"x" * 10, [UNIT_B])
    assert province(operator, "period=month&date=2026-09")["sent"] == 0  # not yet
    assert province(operator, "period=month&date=2026-11")["sent"] == 1

    done = report_backfill.backfill(hub.deps, since=date(2026, 9, 1))
    assert done.cutover == "2026-11-20" and done.months == ["2026-09", "2026-10"]
    september = province(operator, "period=month&date=2026-09")
    assert (september["sent"], september["received"]) == (3, 3)
    assert province(operator, "period=day&date=2026-09-15")["bytes_sent"] == 300
    assert province(operator, "period=month&date=2026-10")["sent"] == 2
    november = province(operator, "period=month&date=2026-11")
    assert (november["sent"], november["rejected"]) == (5, 1)  # 4 before + 1 counted live
    assert province(operator, "period=day&date=2026-11-05")["sent"] == 4
    ranking = get(operator, "/v1/reports/ranking?period=month&date=2026-11").body["items"]
    assert [(r["unit"], r["sent"]) for r in ranking][:1] == [(UNIT_A, 5)]
    september_rank = get(operator, "/v1/reports/ranking?period=month&date=2026-09&by=received")
    assert [(r["unit"], r["received"]) for r in september_rank.body["items"]][:1] == [
        (UNIT_B, 3)]

    again = report_backfill.backfill(hub.deps, since=date(2026, 9, 1))
    assert (again.written, again.added) == (0, 0) and again.present > 0
    assert province(operator, "period=month&date=2026-11")["sent"] == 5
