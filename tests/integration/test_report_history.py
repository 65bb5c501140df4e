"""A unit's exchange history as a report (R-PROP-11): by the province's calendar across a
month boundary, filtered while paging with an opaque cursor, exported as CSV and XLSX
holding what the JSON holds; seen by the unit itself and the operators only."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from chalicelib.domain import keys
from chalicelib.domain.times import PROVINCE_TZ
from chalicelib.services import registry, report_history, sweeper
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World
from tests.support.reports import bearer_get, download, get, person_token

OPERATOR = "000.00.30.H99"
HOUR = 3600
# 30 Nov 23:30 in the province, 16:30 UTC; one hour later it is December there, not in UTC.
NOV_30_LATE = int(datetime(2026, 11, 30, 16, 30, tzinfo=UTC).timestamp())
DEC_1_EARLY = NOV_30_LATE + HOUR
Q4 = "period=quarter&date=2026-Q4"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": "https://lgsp.test"}


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def at(hub: World, epoch: int) -> None:
    hub.deps.clock.value = epoch  # type: ignore[attr-defined]


def confirm(client: SignedClient, message_id: str, data: bytes) -> None:
    receive(client, message_id)
    done = client.post(f"/v1/messages/{message_id}/confirm",
                       {"sha256": hashlib.sha256(data).hexdigest()})
    assert done.status == 200, done.body


@pytest.fixture
def exchanges(hub: World) -> dict[str, str]:
    """Unit A's exchanges around the turn of November into December (province time):
    - 30 Nov 23:30: A sends m1 (hỏa tốc) to B and C; B confirms it, C rejects it;
    - 1 Dec 00:30: B sends m2 (thường) to A, A confirms it a minute later;
    - 1 Dec 00:32: a line written before priorities were kept (A sent `old` to B);
    - 1 Dec 01:30: A sends m3 (khẩn) to C, which lets it expire an hour later."""
    at(hub, NOV_30_LATE)
    m1 = send(hub, b"m1" * 50, [UNIT_B, UNIT_C], priority="hoa_toc")
    hub.deps.clock.advance(60)  # type: ignore[attr-defined]
    confirm(hub.b, m1, b"m1" * 50)
    assert hub.c.post(f"/v1/messages/{m1}/reject", {"reason": "Sai nơi nhận"}).status == 200
    at(hub, DEC_1_EARLY)
    m2 = send(hub, b"m2" * 10, [UNIT_A], sender=hub.b, priority="thuong")
    hub.deps.clock.advance(60)  # type: ignore[attr-defined]
    confirm(hub.a, m2, b"m2" * 10)
    pk, sk = keys.history(UNIT_A, "2026-12", DEC_1_EARLY + 120, "old", "sent")
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "history", "at": DEC_1_EARLY + 120,
                        "message": "old", "event": "sent", "peer": [UNIT_B], "size": 7})
    at(hub, DEC_1_EARLY + HOUR)
    m3 = send(hub, b"m3", [UNIT_C], priority="khan", policy={"confirm_within_seconds": HOUR})
    hub.deps.clock.advance(HOUR)  # type: ignore[attr-defined]
    sweeper.sweep(hub.deps)
    return {"m1": m1, "m2": m2, "m3": m3}


def history(client: SignedClient, unit: str, query: str) -> Any:
    res = get(client, f"/v1/reports/units/{unit}/history?{query}")
    assert res.status == 200, res.body
    return res.body


def ids(body: Any) -> list[str]:
    return [i["message_id"] for i in body["items"]]


def every_page(client: SignedClient, unit: str, query: str) -> tuple[list[Any], int]:
    """Every item through the cursor, and how many pages it took."""
    items, cursor, pages = [], None, 0
    while True:
        more = f"&cursor={cursor}" if cursor else ""
        body = history(client, unit, query + more)
        assert len(body["items"]) <= int(dict(p.split("=") for p in query.split("&")).get(
            "limit", 50))
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def test_a_month_is_the_provinces_and_a_line_says_what_happened_with_whom(
        hub: World, exchanges: dict[str, str]) -> None:
    november = history(hub.a, UNIT_A, "period=month&date=2026-11")
    assert november["unit"] == UNIT_A and november["next_cursor"] is None
    assert november["period"] == {"kind": "month", "label": "2026-11", "from": "2026-11-01",
                                  "to": "2026-11-30"}
    assert november["items"] == [{
        "at": "2026-11-30T16:30:00Z", "message_id": exchanges["m1"], "event": "sent",
        "direction": "sent", "counterparts": [UNIT_B, UNIT_C], "priority": "hoa_toc",
        "size": 100}]
    december = history(hub.a, UNIT_A, "period=month&date=2026-12")
    assert ids(december) == [exchanges["m2"], "old", exchanges["m3"]]
    assert december["items"][0] == {
        "at": "2026-11-30T17:31:00Z", "message_id": exchanges["m2"], "event": "received",
        "direction": "received", "counterparts": [UNIT_B], "priority": "thuong", "size": 20}
    assert december["items"][1]["priority"] is None  # written before priorities were kept
    # A period over both months reads them in turn; the destinations have their own.
    assert ids(history(hub.a, UNIT_A, Q4)) == [exchanges["m1"], exchanges["m2"], "old",
                                               exchanges["m3"]]
    assert [(i["event"], i["direction"]) for i in history(hub.c, UNIT_C, Q4)["items"]] == [
        ("rejected", "received"), ("expired", "received")]
    assert history(hub.a, UNIT_A, "period=day&date=2026-12-01")["items"] == december["items"]
    assert history(hub.a, UNIT_A, "period=day&date=2026-11-30")["items"] == november["items"]


@pytest.mark.parametrize(("query", "expected"), [
    ("direction=sent", ["m1", "old", "m3"]),
    ("direction=received", ["m2"]),
    ("counterpart=" + UNIT_B, ["m1", "m2", "old"]),
    ("counterpart=" + UNIT_C, ["m1", "m3"]),
    ("event=received", ["m2"]),
    ("event=sent&counterpart=" + UNIT_C, ["m1", "m3"]),
    ("priority=khan", ["m3"]),
    ("priority=thuong", ["m2"]),
    ("priority=thuong_khan", []),
    ("direction=sent&priority=hoa_toc", ["m1"]),
])
def test_each_filter_keeps_only_its_lines(hub: World, exchanges: dict[str, str], query: str,
                                          expected: list[str]) -> None:
    names = {v: k for k, v in exchanges.items()} | {"old": "old"}
    body = history(hub.a, UNIT_A, f"{Q4}&{query}")
    assert [names[i] for i in ids(body)] == expected


def test_the_destinations_events_filter_too(hub: World, exchanges: dict[str, str]) -> None:
    assert ids(history(hub.c, UNIT_C, f"{Q4}&event=expired")) == [exchanges["m3"]]
    assert ids(history(hub.c, UNIT_C, f"{Q4}&event=rejected")) == [exchanges["m1"]]
    assert ids(history(hub.b, UNIT_B, f"{Q4}&direction=sent")) == [exchanges["m2"]]


def test_paging_with_the_cursor_gives_every_line_once_across_the_months(
        hub: World, exchanges: dict[str, str]) -> None:
    whole = history(hub.a, UNIT_A, Q4)["items"]
    paged, pages = every_page(hub.a, UNIT_A, f"{Q4}&limit=1")
    assert paged == whole and pages >= 4
    filtered, _ = every_page(hub.a, UNIT_A, f"{Q4}&limit=1&direction=sent")
    assert filtered == [i for i in whole if i["direction"] == "sent"]


def test_a_page_may_hold_fewer_lines_than_asked_while_the_cursor_goes_on(
        hub: World, exchanges: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_history, "PAGE_BUDGET", report_history.Budget(lines=1,
                                                                              queries=40))
    first = history(hub.a, UNIT_A, f"{Q4}&priority=khan&limit=5")
    assert first["items"] == [] and first["next_cursor"]  # m1 read, not kept: go on
    found, _ = every_page(hub.a, UNIT_A, f"{Q4}&priority=khan&limit=5")
    assert ids({"items": found}) == [exchanges["m3"]]


def test_a_cursor_of_another_listing_period_or_unit_is_refused(
        hub: World, exchanges: dict[str, str], operator: SignedClient) -> None:
    december = history(hub.a, UNIT_A, "period=month&date=2026-12&limit=1")
    cursor = december["next_cursor"]
    assert cursor
    outbox = hub.a.get("/v1/outbox?limit=1").body["next_cursor"]
    of_b = history(operator, UNIT_B, f"{Q4}&limit=1")["next_cursor"]
    name = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[1]
    forged = base64.urlsafe_b64encode(json.dumps(
        ["hist", name, "2026-12", "2026-12", None, -1]).encode()).decode()
    for query in (f"period=month&date=2026-11&cursor={cursor}",  # another period
                  f"period=day&date=2026-12-01&cursor={cursor}",  # the same month's day
                  f"period=month&date=2026-12&direction=sent&cursor={cursor}",  # filtered
                  f"{Q4}&cursor={outbox}", f"{Q4}&cursor={of_b}", f"{Q4}&cursor=%%%",
                  f"{Q4}&cursor={forged}"):
        res = get(hub.a, f"/v1/reports/units/{UNIT_A}/history?{query}")
        assert (res.status, res.code) == (400, "invalid_cursor"), query
    assert history(hub.a, UNIT_A, f"period=month&date=2026-12&cursor={cursor}")["items"]


@pytest.mark.parametrize(("query", "code"), [
    ("direction=up", "invalid_request"), ("event=fetched", "invalid_request"),
    ("priority=urgent", "invalid_request"), ("counterpart=nobody", "invalid_unit_code"),
    ("period=week", "invalid_period"), ("period=month&date=2026-13", "invalid_period"),
    ("period=", "invalid_period"), ("period=month&date=2026-11&from=2026-11-01",
                                    "invalid_period"),
    ("from=20261101&to=2026-11-02", "invalid_period"), ("direction=", "invalid_request"),
    ("limit=0", "invalid_limit"),
])
def test_bad_queries_are_refused_with_their_code(hub: World, query: str, code: str) -> None:
    res = get(hub.a, f"/v1/reports/units/{UNIT_A}/history?{query}")
    assert (res.status, res.code) == (400, code), query
    if code != "invalid_limit":  # the exports take no limit
        status, _, data = download(hub.a, f"/v1/reports/units/{UNIT_A}/history/csv?{query}")
        assert (status, json.loads(data)["error"]["code"]) == (400, code), query


def test_without_a_date_the_running_month_is_reported(hub: World,
                                                      exchanges: dict[str, str]) -> None:
    body = history(hub.a, UNIT_A, "")  # now: 1 Dec 02:30 in the province
    assert body["period"]["label"] == "2026-12" and len(body["items"]) == 3


# -- exports ---------------------------------------------------------------------------


def local(iso_text: str) -> datetime:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).astimezone(PROVINCE_TZ)


def as_rows(items: list[Any]) -> list[tuple[Any, ...]]:
    return [(local(i["at"]), i["message_id"], i["event"], i["direction"],
             ", ".join(i["counterparts"]), i["priority"], i["size"]) for i in items]


HEADERS = ["Thời điểm", "Mã gói tin", "Sự kiện", "Chiều", "Đơn vị liên quan", "Độ khẩn",
           "Dung lượng (byte)"]


def test_csv_and_xlsx_hold_every_page_of_the_json(
        hub: World, exchanges: dict[str, str]) -> None:
    query = f"{Q4}&counterpart={UNIT_B}"
    items, _ = every_page(hub.a, UNIT_A, query + "&limit=1")
    expected = as_rows(items)
    assert len(expected) == 3
    path = f"/v1/reports/units/{UNIT_A}/history"

    status, headers, data = download(hub.a, f"{path}/csv?{query}")
    assert status == 200 and headers["content-type"].startswith("text/csv"), data
    assert 'filename="lich-su-000.00.01.H99-2026-Q4.csv"' in headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5] or None, int(r[6]))
            for r in rows[1:]] == expected

    status, headers, data = download(hub.a, f"{path}/xlsx?{query}")
    assert status == 200 and headers["content-type"].endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    got = list(sheet.iter_rows(values_only=True))
    assert list(got[0]) == HEADERS
    assert got[1:] == [(r[0].replace(tzinfo=None), *r[1:]) for r in expected]


def test_an_export_over_the_cap_asks_for_a_shorter_period(
        hub: World, exchanges: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_history, "EXPORT_MAX_ROWS", 3)
    path = f"/v1/reports/units/{UNIT_A}/history"
    for suffix in ("csv", "xlsx"):
        status, _, data = download(hub.a, f"{path}/{suffix}?{Q4}")
        error = json.loads(data)["error"]
        assert (status, error["code"], error["limit"]) == (400, "export_too_large", 3)
        assert "shorter period" in error["message"]
    status, _, _ = download(hub.a, f"{path}/csv?period=month&date=2026-12")  # 3 lines
    assert status == 200


# -- who may read it -------------------------------------------------------------------


def test_a_unit_reads_its_own_history_and_never_another_units(
        hub: World, exchanges: dict[str, str], operator: SignedClient) -> None:
    for path in (f"/v1/reports/units/{UNIT_B}/history?{Q4}",
                 f"/v1/reports/units/{UNIT_B}/history/csv?{Q4}",
                 f"/v1/reports/units/{UNIT_B}/history/xlsx?{Q4}"):
        res = get(hub.a, path)
        assert (res.status, res.code) == (403, "forbidden"), path
    second_app = hub.as_(registry.create_app(hub.deps, UNIT_A, "second"))
    assert ids(history(second_app, UNIT_A, Q4)) == ids(history(hub.a, UNIT_A, Q4))


def test_operators_read_any_units_history_and_an_unknown_unit_is_404(
        hub: World, exchanges: dict[str, str], operator: SignedClient) -> None:
    assert ids(history(operator, UNIT_A, Q4)) == ids(history(hub.a, UNIT_A, Q4))
    status, _, _ = download(operator, f"/v1/reports/units/{UNIT_B}/history/csv?{Q4}")
    assert status == 200
    res = get(operator, f"/v1/reports/units/000.00.09.H99/history?{Q4}")
    assert (res.status, res.code) == (404, "unknown_unit")


def test_a_units_people_read_its_history_with_their_token_and_not_another_units(
        hub: World, exchanges: dict[str, str]) -> None:
    token = person_token(hub, UNIT_A, "nva", ["member"])
    status, body = bearer_get(hub, f"/v1/reports/units/{UNIT_A}/history?{Q4}", token)
    assert status == 200 and ids(body) == ids(history(hub.a, UNIT_A, Q4))
    status, body = bearer_get(hub, f"/v1/reports/units/{UNIT_B}/history?{Q4}", token)
    assert (status, body["error"]["code"]) == (403, "forbidden")
