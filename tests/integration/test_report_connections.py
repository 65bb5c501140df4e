"""A unit's connections as a report (R-PROP-12): its WebSocket sessions in a period of the
province's calendar, its online time (the union of its apps' sessions, clipped to the
period and to now), availability and connects; CSV and XLSX hold what the JSON holds;
seen by the unit itself and the operators only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from chalicelib.domain.times import PROVINCE_TZ
from chalicelib.services import registry
from tests.integration.test_report_history import OPERATOR, at, hub_overrides, operator
from tests.support.hub import UNIT_A, UNIT_B, SignedClient, World
from tests.support.reports import bearer_get, download, get, person_token
from tests.support.ws import WsApp

__all__ = ["hub_overrides", "operator"]  # the fixtures, shared with the history's tests
HOUR = 3600
DEC_1 = int(datetime(2026, 11, 30, 17, 0, tzinfo=UTC).timestamp())  # 1 Dec 00:00 there
DAY = "period=day&date=2026-12-01"


@pytest.fixture
def sessions(hub: World) -> dict[str, WsApp]:
    """Unit B's two apps over 1 December (province time), now 06:00 that day:
    - one: app 1 from 23:00 the day before to 02:00;
    - two: app 2 from 01:00 to 03:00 (overlapping one for an hour);
    - three: app 1 again from 05:00, still open."""
    second = registry.create_app(hub.deps, UNIT_B, "app 2")
    plan = {"one": (hub.b.creds, DEC_1 - HOUR, DEC_1 + 2 * HOUR),
            "two": (second, DEC_1 + HOUR, DEC_1 + 3 * HOUR),
            "three": (hub.b.creds, DEC_1 + 5 * HOUR, None)}
    apps = {name: WsApp(hub, creds) for name, (creds, _, _) in plan.items()}
    steps = sorted([(start, name, "connect") for name, (_, start, _) in plan.items()]
                   + [(end, name, "disconnect") for name, (_, _, end) in plan.items() if end])
    for when, name, step in steps:
        at(hub, when)
        assert getattr(apps[name], step)()["statusCode"] == 200
    at(hub, DEC_1 + 6 * HOUR)
    return apps


def connections(client: SignedClient, unit: str, query: str) -> Any:
    res = get(client, f"/v1/reports/units/{unit}/connections?{query}")
    assert res.status == 200, res.body
    return res.body


def z(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_sessions_overlapping_and_open_give_the_union_as_online_time(
        hub: World, sessions: dict[str, WsApp]) -> None:
    app1, app2 = hub.b.creds.app, sessions["two"].creds.app
    body = connections(hub.b, UNIT_B, DAY)
    assert body["unit"] == UNIT_B and body["period"]["label"] == "2026-12-01"
    assert body["sessions"] == [
        {"connected_at": z(DEC_1 - HOUR), "disconnected_at": z(DEC_1 + 2 * HOUR),
         "seconds": 2 * HOUR, "app": app1},
        {"connected_at": z(DEC_1 + HOUR), "disconnected_at": z(DEC_1 + 3 * HOUR),
         "seconds": 2 * HOUR, "app": app2},
        {"connected_at": z(DEC_1 + 5 * HOUR), "disconnected_at": None, "seconds": HOUR,
         "app": app1}]
    # 00:00-03:00 and 05:00-06:00: four hours of the six gone by, not the sum of five.
    assert body["online_seconds"] == 4 * HOUR
    assert body["availability"] == pytest.approx(4 / 6, abs=1e-6)
    assert body["connects"] == 2  # the first connected the day before


def test_a_past_period_clips_the_sessions_that_outlived_it(
        hub: World, sessions: dict[str, WsApp]) -> None:
    november = connections(hub.b, UNIT_B, "period=month&date=2026-11")
    assert november["sessions"] == [
        {"connected_at": z(DEC_1 - HOUR), "disconnected_at": z(DEC_1 + 2 * HOUR),
         "seconds": HOUR, "app": hub.b.creds.app}]
    assert november["online_seconds"] == HOUR and november["connects"] == 1
    assert november["availability"] == pytest.approx(HOUR / (30 * 86400), abs=1e-6)


def test_a_session_open_since_before_the_period_counts_from_its_start(
        hub: World, sessions: dict[str, WsApp]) -> None:
    at(hub, DEC_1 + 26 * HOUR)  # 2 Dec 02:00, session three still open
    body = connections(hub.b, UNIT_B, "period=day&date=2026-12-02")
    assert body["sessions"] == [{"connected_at": z(DEC_1 + 5 * HOUR), "disconnected_at": None,
                                 "seconds": 2 * HOUR, "app": hub.b.creds.app}]
    assert body["online_seconds"] == 2 * HOUR and body["availability"] == 1.0
    assert body["connects"] == 0


def test_a_period_not_begun_and_a_unit_never_connected(
        hub: World, sessions: dict[str, WsApp]) -> None:
    later = connections(hub.b, UNIT_B, "period=day&date=2026-12-05")
    assert (later["sessions"], later["online_seconds"], later["availability"]) == ([], 0, None)
    never = connections(hub.a, UNIT_A, DAY)
    assert (never["sessions"], never["online_seconds"], never["availability"],
            never["connects"]) == ([], 0, 0.0, 0)


def local(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(PROVINCE_TZ)


HEADERS = ["Ứng dụng", "Kết nối lúc", "Ngắt kết nối lúc", "Số giây trong kỳ",
           "Tỷ lệ sẵn sàng", "Số lần kết nối"]


def test_csv_and_xlsx_hold_the_sessions_and_the_total(
        hub: World, sessions: dict[str, WsApp]) -> None:
    body = connections(hub.b, UNIT_B, DAY)
    expected = [(s["app"], local(s["connected_at"]), local(s["disconnected_at"]),
                 s["seconds"], None, None) for s in body["sessions"]]
    expected.append(("Tổng (thời gian trực tuyến của đơn vị)", None, None,
                     body["online_seconds"], body["availability"], body["connects"]))
    path = f"/v1/reports/units/{UNIT_B}/connections"

    status, headers, data = download(hub.b, f"{path}/csv?{DAY}")
    assert status == 200, data
    assert 'filename="ket-noi-000.00.02.H99-2026-12-01.csv"' in headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [(r[0], local(r[1] or None), local(r[2] or None), int(r[3]),
             float(r[4]) if r[4] else None, int(r[5]) if r[5] else None)
            for r in rows[1:]] == expected

    status, _, data = download(hub.b, f"{path}/xlsx?{DAY}")
    assert status == 200
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    got = list(sheet.iter_rows(values_only=True))
    assert list(got[0]) == HEADERS
    naive = [tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row)
             for row in expected]
    assert got[1:] == naive


def test_connections_are_the_units_own_and_the_operators(
        hub: World, sessions: dict[str, WsApp], operator: SignedClient) -> None:
    for suffix in ("", "/csv", "/xlsx"):
        res = get(hub.a, f"/v1/reports/units/{UNIT_B}/connections{suffix}?{DAY}")
        assert (res.status, res.code) == (403, "forbidden"), suffix
    mine = connections(hub.b, UNIT_B, DAY)
    assert connections(operator, UNIT_B, DAY) == mine
    token = person_token(hub, UNIT_B, "ttb", ["member"])
    assert bearer_get(hub, f"/v1/reports/units/{UNIT_B}/connections?{DAY}", token) == (
        200, mine)
    status, refused = bearer_get(hub, f"/v1/reports/units/{UNIT_A}/connections?{DAY}", token)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    assert OPERATOR not in (UNIT_A, UNIT_B)
