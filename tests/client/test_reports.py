"""`lgsp_client.reports` from Python (periods in the province's calendar, the reports'
paths and queries), and `lgsp report --as-person` sending the person's Bearer token
(R-PROP-11, R-PROP-12)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from lgsp_client import reports
from tests.client.fakeadmin import RequestsHub
from tests.client.fakeop import PERSON
from tests.client.fakereports import ReportsHub
from tests.client.signin import person_hub, write_profiles

NOVEMBER = ("--period", "month", "--date", "2026-11")


def test_the_current_period_is_the_provinces_day() -> None:
    # 18:00 UTC on 31 December is already 1 January in Viet Nam (UTC+7).
    moment = datetime.datetime(2026, 12, 31, 18, 0, tzinfo=datetime.UTC)
    assert [reports.Period.current(k, moment).query() for k in
            ("day", "month", "quarter", "year")] == [
        [("period", "day"), ("date", "2027-01-01")],
        [("period", "month"), ("date", "2027-01")],
        [("period", "quarter"), ("date", "2027-Q1")],
        [("period", "year"), ("date", "2027")]]
    evening = datetime.datetime(2026, 9, 30, 16, 59, tzinfo=datetime.UTC)
    assert reports.Period.current("quarter", evening).date == "2026-Q3"
    with pytest.raises(ValueError, match="range"):
        reports.Period.current("range", moment)


def test_reports_are_paths_and_queries() -> None:
    november = reports.Period("month", "2026-11")
    assert reports.history("000.00.12/H40", november, event="sent", priority="khan") == \
        reports.Report("/v1/reports/units/000.00.12%2FH40/history", (
            ("period", "month"), ("date", "2026-11"), ("event", "sent"),
            ("priority", "khan")))
    assert reports.ranking(reports.Period("range", first="2026-11-01", last="2026-11-02"),
                           limit=5).query == (("period", "range"), ("from", "2026-11-01"),
                                              ("to", "2026-11-02"), ("limit", "5"))
    assert reports.province(november).path == "/v1/reports/province"


def test_as_person_sends_the_bearer_token(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    layers: list[ReportsHub] = []

    def reports_first(admin: RequestsHub) -> ReportsHub:
        layers.append(ReportsHub(admin.fake, fallback=admin))
        return layers[0]

    with person_hub(monkeypatch, tmp_path, reports_first) as running:
        write_profiles(running, "[default]\nendpoint = URL\n")
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
        monkeypatch.setenv("LGSP_SECRET_KEY", "src-secret")
        assert running.lgsp("login")[0] == 0
        own = f"/v1/reports/units/{PERSON['unit']}"
        target = tmp_path / "own.xlsx"
        for argv in (["unit", PERSON["unit"]], ["history", PERSON["unit"], "--all"],
                     ["connections", PERSON["unit"], "-o", str(target)]):
            code, _ = running.lgsp("--as-person", "report", *argv, *NOVEMBER)
            assert code == 0, argv
            request = running.server.received[-1]
            assert request.path.startswith(own)
            assert request.headers["Authorization"] == f"Bearer {running.op.latest_access()}"
            assert "Signature" not in request.headers
        assert target.read_bytes() == layers[0].sent[-1]
        assert running.lgsp("--as-person", "report", "province", *NOVEMBER)[0] == 1
