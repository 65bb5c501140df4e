"""The unit, province and ranking reports (R-PROP-11, R-PROP-12; docs/reports.md): the
figures of a month of real exchanges (priorities, a failed fetch, a rejection, an
expiry, an undeliverable destination, confirmation latencies) equal what happened, in
JSON, CSV and XLSX alike; a day, month, quarter, year and range agree; a unit sees only
its own report (its apps and its people), operators see every unit's, the province's and
the ranking."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import openpyxl
import pytest

from chalicelib.api.exports import XLSX_TYPE
from chalicelib.domain import keys, traffic
from chalicelib.services import counters, registry, reorg, sweeper
from tests.integration.test_exchange_flow import receive, send
from tests.integration.test_sso_people import bearer, device_sign_in
from tests.support.hub import HOST, UNIT_A, UNIT_B, UNIT_C, Reply, SignedClient, World
from tests.support.signing import sign
from tests.support.sso import BASE, PASSWORD, Browser, make_person

OPERATOR = "000.00.30.H99"
UNIT_D = "000.00.09.H99"  # registered, no app to receive
ICT = timezone(timedelta(hours=7))
HOUR, DAY = 3600, 86400


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": BASE}


def at(hub: World, when: datetime) -> None:
    hub.deps.clock.value = int(when.timestamp())  # type: ignore[attr-defined]


def later(hub: World, seconds: int) -> None:
    hub.deps.clock.advance(seconds)  # type: ignore[attr-defined]


def confirm(client: SignedClient, message_id: str) -> None:
    body = receive(client, message_id)
    done = client.post(f"/v1/messages/{message_id}/confirm",
                       {"sha256": hashlib.sha256(body).hexdigest()})
    assert done.status == 200 and done.body["state"] == "confirmed", done.body


def a_month_of_traffic(hub: World) -> dict[str, int]:
    """What happens, with the sizes sent: one exchange on 20 October, the rest in
    November (9th to 11th, province time)."""
    registry.create_unit(hub.deps, UNIT_D, "Trường Mầm non chưa kết nối")
    sizes = {"oct": 111, "hoa_toc": 1000, "khan": 2000, "b_to_a": 300, "rejected": 400,
             "expired": 500, "undeliverable": 600}
    data = {name: os.urandom(size) for name, size in sizes.items()}

    at(hub, datetime(2026, 10, 20, 10, 0, tzinfo=ICT))  # A -> B, confirmed in 2 s
    confirm_later(hub, send(hub, data["oct"], [UNIT_B], priority="thuong"), 2)

    at(hub, datetime(2026, 11, 9, 9, 0, tzinfo=ICT))
    first = send(hub, data["hoa_toc"], [UNIT_B], priority="hoa_toc")
    later(hub, 45)
    wrong = hub.b.post(f"/v1/messages/{first}/confirm", {"sha256": "0" * 64})
    assert wrong.status == 422 and wrong.code == "checksum_mismatch"  # a failed fetch
    confirm(hub.b, first)  # 45 s after verification: the (30 s, 1 min] bucket
    second = send(hub, data["khan"], [UNIT_B], priority="khan")
    later(hub, 3 * HOUR)
    confirm(hub.b, second)  # 3 h: the (2 h, 4 h] bucket
    back = send(hub, data["b_to_a"], [UNIT_A], sender=hub.b, priority="thuong")
    later(hub, 5)
    confirm(hub.a, back)  # 5 s
    refused = send(hub, data["rejected"], [UNIT_C], priority="thuong_khan")
    assert hub.c.post(f"/v1/messages/{refused}/reject", {"reason": "Sai thẩm quyền"}
                      ).status == 200

    at(hub, datetime(2026, 11, 10, 8, 0, tzinfo=ICT))
    send(hub, data["expired"], [UNIT_B], priority="thuong",
         policy={"confirm_within_seconds": HOUR})
    send(hub, data["undeliverable"], [UNIT_D], priority="khan")
    at(hub, datetime(2026, 11, 11, 8, 0, tzinfo=ICT))
    sweeper.sweep(hub.deps)  # the first deadline passed: expired, counted on the 11th
    return sizes


def confirm_later(hub: World, message_id: str, seconds: int) -> None:
    later(hub, seconds)
    confirm(hub.b, message_id)


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def canonical(path: str) -> str:
    """The path with its query in the order clients sign it (sorted)."""
    base, _, query = path.partition("?")
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    return f"{base}?{urllib.parse.urlencode(pairs)}" if pairs else base


def get(client: SignedClient, path: str) -> Reply:
    return client.get(canonical(path))


def download(client: SignedClient, path: str, accept: str = "*/*") -> tuple[int, bytes]:
    """GET a report (or its file) as an HTTP library does: `Accept: */*` by default."""
    path = canonical(path)
    headers = sign("GET", f"http://{HOST}{path}", key_id=client.creds.access_key,
                   secret=client.creds.secret_key, created=client.deps.clock.now(),
                   headers={"host": HOST, "accept": accept})
    res = client.http.request("GET", path, headers=headers)
    return res.status_code, res.body


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def events(**counts: int) -> dict[str, int]:
    """A day's (or a ranked unit's) events: those given, 0 for the others."""
    return {name: counts.get(name, 0) for name in (
        "sent", "received", "rejected", "failed_fetches", "expired", "undeliverable")}


def test_a_units_month_report_is_what_happened(hub: World) -> None:
    sizes = a_month_of_traffic(hub)
    report = get(hub.a, f"/v1/reports/units/{UNIT_A}?period=month&date=2026-11")
    assert report.status == 200, report.body
    body = report.body
    assert body["unit"] == UNIT_A and body["unit_name"] == f"Đơn vị {UNIT_A}"
    assert body["period"] == {"kind": "month", "label": "2026-11", "from": "2026-11-01",
                              "to": "2026-11-30"}
    sent = ("hoa_toc", "khan", "rejected", "expired", "undeliverable")
    assert body["totals"] == {
        "sent": 5, "bytes_sent": sum(sizes[n] for n in sent), "received": 1,
        "bytes_received": sizes["b_to_a"], "rejected": 0, "failed_fetches": 0,
        "expired": 1, "undeliverable": 1}
    assert body["by_priority"] == {"hoa_toc": {"sent": 1, "received": 0},
                                   "thuong_khan": {"sent": 1, "received": 0},
                                   "khan": {"sent": 2, "received": 0},
                                   "thuong": {"sent": 1, "received": 1}}
    assert body["latency"] == {"confirmed": 1, "median_seconds": 5, "p95_seconds": 5}
    days = {d["day"]: d for d in body["days"]}
    assert len(body["days"]) == 30 and body["days"][0]["day"] == "2026-11-01"
    assert days["2026-11-09"] == {"day": "2026-11-09", **events(sent=3, received=1)}
    assert days["2026-11-10"] == {"day": "2026-11-10", **events(sent=2, undeliverable=1)}
    assert days["2026-11-11"] == {"day": "2026-11-11", **events(expired=1)}
    assert days["2026-11-12"] == {"day": "2026-11-12", **events()}

    b = get(hub.b, f"/v1/reports/units/{UNIT_B}").body  # the default: this month
    assert b["period"]["label"] == "2026-11"
    assert b["totals"] == {
        "sent": 1, "bytes_sent": sizes["b_to_a"], "received": 2,
        "bytes_received": sizes["hoa_toc"] + sizes["khan"], "rejected": 0,
        "failed_fetches": 1, "expired": 0, "undeliverable": 0}
    assert b["by_priority"]["hoa_toc"] == {"sent": 0, "received": 1}
    # 45 s and 3 h: the median is the first one's bucket edge, the p95 the second's.
    assert b["latency"] == {"confirmed": 2, "median_seconds": 60, "p95_seconds": 14400}
    c = get(hub.c, f"/v1/reports/units/{UNIT_C}?date=2026-11").body
    assert c["totals"]["rejected"] == 1 and c["latency"]["median_seconds"] is None


def test_the_csv_and_the_xlsx_hold_the_json_figures(hub: World) -> None:
    a_month_of_traffic(hub)
    path = f"/v1/reports/units/{UNIT_B}"
    body = get(hub.b, f"{path}?period=month&date=2026-11").body
    status, data = download(hub.b, f"{path}/csv?period=month&date=2026-11")
    assert status == 200
    rows = csv_rows(data)
    header = rows[0]
    assert header[:9] == ["Ngày", "Đã gửi", "Dung lượng gửi (byte)", "Đã nhận",
                          "Dung lượng nhận (byte)", "Từ chối", "Lỗi tải", "Quá hạn",
                          "Không chuyển được"]
    assert "Gửi hỏa tốc" in header and "Nhận thượng khẩn" in header
    assert len(rows) == 1 + 30 + 1 and rows[-1][0] == "Tổng cộng"
    total = dict(zip(header, rows[-1], strict=True))
    assert int(total["Đã nhận"]) == body["totals"]["received"] == 2
    assert int(total["Dung lượng nhận (byte)"]) == body["totals"]["bytes_received"]
    assert int(total["Lỗi tải"]) == body["totals"]["failed_fetches"] == 1
    assert int(total["Nhận hỏa tốc"]) == body["by_priority"]["hoa_toc"]["received"]
    assert int(total["Thời gian xác nhận, trung vị (giây)"]) == 60
    assert int(total["Thời gian xác nhận, phân vị 95 (giây)"]) == 14400
    ninth = dict(zip(header, next(r for r in rows if r[0] == "2026-11-09"), strict=True))
    assert int(ninth["Đã nhận"]) == next(d for d in body["days"]
                                         if d["day"] == "2026-11-09")["received"]

    status, data = download(hub.b, f"{path}/xlsx?period=month&date=2026-11",
                            accept=XLSX_TYPE)
    assert status == 200 and data.startswith(b"PK")  # a zip, as every XLSX
    sheet = xlsx_rows(data)
    assert [str(v) for v in sheet[0]] == header
    assert sheet[-1][0] == "Tổng cộng"
    xtotal = dict(zip(header, sheet[-1], strict=True))
    assert xtotal["Đã nhận"] == 2 and isinstance(xtotal["Đã nhận"], int)
    assert [xtotal[h] for h in header[1:]] == [int(v) if v else None for v in rows[-1][1:]]


def figures(client: SignedClient, query: str) -> dict[str, Any]:
    reply = get(client, f"/v1/reports/units/{UNIT_A}?{query}")
    assert reply.status == 200, reply.body
    return {k: reply.body[k] for k in ("totals", "by_priority", "latency")}


def test_a_month_a_quarter_a_year_a_range_and_the_days_agree(hub: World) -> None:
    a_month_of_traffic(hub)
    october, november = figures(hub.a, "date=2026-10"), figures(hub.a, "date=2026-11")
    assert october["totals"]["sent"] == 1 and october["by_priority"]["thuong"]["sent"] == 1
    quarter = figures(hub.a, "period=quarter&date=2026-Q4")
    assert quarter == figures(hub.a, "period=year&date=2026")
    assert quarter == figures(hub.a, "period=range&from=2026-10-01&to=2026-12-31")
    assert quarter == figures(hub.a, "from=2026-10-15&to=2026-11-30")  # days + a month
    assert quarter["totals"] == {k: october["totals"][k] + november["totals"][k]
                                 for k in quarter["totals"]}
    assert quarter["totals"]["sent"] == 6
    by_month = get(hub.a, f"/v1/reports/units/{UNIT_A}?period=quarter&date=2026-Q4").body
    assert [(m["month"], m["sent"]) for m in by_month["days"]] == [
        ("2026-10", 1), ("2026-11", 5), ("2026-12", 0)]
    days = [figures(hub.a, f"period=day&date=2026-11-{d:02d}")["totals"] for d in (9, 10, 11)]
    assert {k: sum(d[k] for d in days) for k in days[0]} == november["totals"]
    assert figures(hub.a, "from=2026-11-10&to=2026-11-11")["totals"]["expired"] == 1
    refused = get(hub.a, f"/v1/reports/units/{UNIT_A}?period=week")
    assert refused.status == 400 and refused.code == "invalid_period"


def test_counters_written_before_the_new_figures_read_them_as_zero(hub: World) -> None:
    pk, sk = keys.stats_utc_day(UNIT_C, "2026-09-10")  # the oldest shape there is
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "daily_stats", "unit": UNIT_C,
                        "sent": 3, "bytes_sent": 30, "failures": 2})
    pk, sk = keys.stats_month(UNIT_C, "2026-08")
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "counters", "unit": UNIT_C,
                        "month": "2026-08", "received": 4, "bytes_received": 40})
    september = get(hub.c, f"/v1/reports/units/{UNIT_C}?date=2026-09").body
    assert september["totals"]["sent"] == 3 and september["totals"]["failed_fetches"] == 2
    assert september["by_priority"]["thuong"] == {"sent": 0, "received": 0}
    assert september["latency"] == {"confirmed": 0, "median_seconds": None,
                                    "p95_seconds": None}
    assert [d["sent"] for d in september["days"] if d["day"] == "2026-09-10"] == [3]
    q3 = get(hub.c, f"/v1/reports/units/{UNIT_C}?period=quarter&date=2026-Q3").body
    assert q3["totals"]["received"] == 4 and q3["totals"]["sent"] == 3
    assert q3["latency"]["confirmed"] == 0


def test_a_unit_reads_only_its_own_report(hub: World, operator: SignedClient) -> None:
    a_month_of_traffic(hub)
    for path in (f"/v1/reports/units/{UNIT_A}", f"/v1/reports/units/{UNIT_A}/csv",
                 f"/v1/reports/units/{UNIT_A}/xlsx"):
        status, body = download(hub.b, path)
        assert status == 403 and b'"forbidden"' in body, path
        status, _ = download(operator, path)
        assert status == 200, path
    for path in ("/v1/reports/province", "/v1/reports/ranking",
                 "/v1/reports/province/csv", "/v1/reports/ranking/xlsx"):
        status, body = download(hub.a, path)
        assert status == 403 and b'"forbidden"' in body, path
    assert get(hub.a, f"/v1/reports/units/{UNIT_A}").status == 200
    # Another unit that does not exist: still 403 for a unit, 404 for an operator.
    assert get(hub.a, "/v1/reports/units/000.00.77.H99").code == "forbidden"
    assert get(operator, "/v1/reports/units/000.00.77.H99").code == "unknown_unit"
    unsigned = hub.client.http.get(f"/v1/reports/units/{UNIT_A}", headers={"host": HOST})
    assert unsigned.status_code == 401


def test_a_units_person_reads_their_units_report_with_their_token(hub: World) -> None:
    a_month_of_traffic(hub)
    account, _ = make_person(hub.deps, UNIT_A, "binh", totp=False)
    browser = Browser(hub.client)
    login = browser.get(f"{BASE}/sso/login")
    done = browser.follow(browser.submit(login, {"account": account,
                                                 "password": PASSWORD}))
    assert 'id="signed-in-as"' in done.text
    token = device_sign_in(hub, browser)["access_token"]
    status, body = bearer(hub, "GET", f"/v1/reports/units/{UNIT_A}?date=2026-11", token)
    assert status == 200 and body["totals"]["sent"] == 5
    status, body = bearer(hub, "GET", f"/v1/reports/units/{UNIT_B}?date=2026-11", token)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = bearer(hub, "GET", "/v1/reports/province", token)
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_operators_read_the_province_and_the_ranking(hub: World,
                                                     operator: SignedClient) -> None:
    sizes = a_month_of_traffic(hub)
    province = get(operator, "/v1/reports/province?period=month&date=2026-11")
    assert province.status == 200, province.body
    body = province.body
    assert body["units"] == 5 and "unit" not in body  # A, B, C, D and the operator
    assert body["totals"] == {
        "sent": 6, "bytes_sent": sum(v for k, v in sizes.items() if k != "oct"),
        "received": 3,
        "bytes_received": sizes["hoa_toc"] + sizes["khan"] + sizes["b_to_a"],
        "rejected": 1, "failed_fetches": 1, "expired": 1, "undeliverable": 1}
    assert body["by_priority"]["khan"] == {"sent": 2, "received": 1}
    assert body["latency"] == {"confirmed": 3, "median_seconds": 60, "p95_seconds": 14400}
    units = [get(operator, f"/v1/reports/units/{u}?date=2026-11").body["totals"]
             for u in (UNIT_A, UNIT_B, UNIT_C, UNIT_D)]
    assert {k: sum(u[k] for u in units) for k in body["totals"]} == body["totals"]
    status, data = download(operator, "/v1/reports/province/csv?date=2026-11")
    assert status == 200 and csv_rows(data)[-1][:2] == ["Tổng cộng", "6"]

    ranking = get(operator, "/v1/reports/ranking?period=month&date=2026-11&by=sent").body
    assert ranking["by"] == "sent" and ranking["period"]["label"] == "2026-11"
    assert [(i["unit"], i["sent"]) for i in ranking["items"]] == [
        (UNIT_A, 5), (UNIT_B, 1), (UNIT_C, 0)]
    assert ranking["items"][0] == {"unit": UNIT_A, "unit_name": f"Đơn vị {UNIT_A}",
                                   **events(sent=5, received=1, expired=1,
                                            undeliverable=1)}
    received = get(operator, "/v1/reports/ranking?date=2026-11&by=received").body["items"]
    assert [(i["unit"], i["received"]) for i in received] == [
        (UNIT_B, 2), (UNIT_A, 1), (UNIT_C, 0)]
    failures = get(operator, "/v1/reports/ranking?date=2026-11&by=failures&limit=1").body
    assert [i["unit"] for i in failures["items"]] == [UNIT_B]
    quarter = get(operator, "/v1/reports/ranking?period=quarter&date=2026-Q4").body["items"]
    assert [(i["unit"], i["sent"]) for i in quarter] == [(UNIT_A, 6), (UNIT_B, 1),
                                                         (UNIT_C, 0)]
    status, data = download(operator, "/v1/reports/ranking/xlsx?date=2026-11&by=received")
    sheet = xlsx_rows(data)
    assert status == 200 and sheet[0][:3] == ["Hạng", "Mã định danh", "Tên đơn vị"]
    assert [(r[0], r[1], r[4]) for r in sheet[1:]] == [(1, UNIT_B, 2), (2, UNIT_A, 1),
                                                       (3, UNIT_C, 0)]

    day = get(operator, "/v1/reports/ranking?period=day&date=2026-11-09")
    assert day.status == 400 and day.code == "invalid_period"
    for by in ("size", ""):
        bad = get(operator, f"/v1/reports/ranking?date=2026-11&by={by}")
        assert bad.status == 400 and bad.code == "invalid_request", by
    assert get(operator, "/v1/reports/ranking?date=2026-11&limit=0").code == "invalid_limit"


def test_an_undeliverable_destination_counts_once_however_often_it_is_told(
        hub: World, operator: SignedClient) -> None:
    registry.create_unit(hub.deps, UNIT_D, "Trường Mầm non chưa kết nối")
    message_id = send(hub, b"x" * 10, [UNIT_D])
    reorg.follow(hub.deps, hub.deps.table.get(*keys.message(message_id)))  # told again
    totals = get(hub.a, f"/v1/reports/units/{UNIT_A}").body["totals"]
    assert totals["undeliverable"] == 1
    assert get(operator, "/v1/reports/province").body["totals"]["undeliverable"] == 1


def test_a_tally_the_sweeper_adds_counts_for_the_province_and_the_ranking_too(
        hub: World, operator: SignedClient) -> None:
    at(hub, datetime(2026, 11, 9, 9, 0, tzinfo=ICT))
    left = counters.tally(hub.deps, UNIT_C, **traffic.sent("hoa_toc", 70))
    hub.deps.table.put(left.item, left.condition)  # as if its request died before adding it
    assert get(operator, "/v1/reports/province").body["totals"]["sent"] == 0
    later(hub, counters.SETTLE_AFTER + 1)
    assert counters.drain(hub.deps, limit=100) == 1
    province = get(operator, "/v1/reports/province").body
    assert province["totals"]["bytes_sent"] == 70
    assert province["by_priority"]["hoa_toc"]["sent"] == 1
    ranked = get(operator, "/v1/reports/ranking").body["items"]
    assert [(i["unit"], i["sent"]) for i in ranked] == [(UNIT_C, 1)]
    assert get(hub.c, f"/v1/reports/units/{UNIT_C}").body["totals"]["sent"] == 1
    assert counters.drain(hub.deps, limit=100) == 0  # added once


def test_a_period_is_asked_for_one_way_only(hub: World) -> None:
    for query in ("period=month&from=2026-11-01", "date=2026-11&from=2026-11-01",
                  "period=range&date=2026-11&from=2026-11-01&to=2026-11-02",
                  "period=day&to=x", "period=", "date=&period=month"):
        refused = get(hub.a, f"/v1/reports/units/{UNIT_A}?{query}")
        assert refused.status == 400 and refused.code == "invalid_period", query
    assert get(hub.a, f"/v1/reports/units/{UNIT_A}?from=2026-11-01&to=2026-11-02"
               ).body["period"]["kind"] == "range"
    assert get(hub.a, f"/v1/reports/units/{UNIT_A}?period=day").body["period"]["kind"] == "day"
