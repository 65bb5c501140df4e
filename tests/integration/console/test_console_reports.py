"""The console's report pages (R-PROP-11, R-PROP-12; docs/console.md): the
figures shown equal the API's for a month of real exchanges, the files are the API's
files, a unit admin sees only their own unit, and names are shown as text."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

from chalicelib.domain import proxy
from chalicelib.services import counters, registry, units
from tests.integration.test_reports import csv_rows, download, get
from tests.support.console import OPERATOR, Person, sign_in
from tests.support.hub import HOST, UNIT_A, UNIT_B, SignedClient, World
from tests.support.sso import BASE

NOVEMBER = "period=month&date=2026-11"
XSS = "<script>alert(1)</script>"
FIGURES = ("sent", "received", "bytes_sent", "bytes_received", "rejected", "failed_fetches",
           "expired", "undeliverable")


def operator_app(world: World) -> SignedClient:
    return world.as_(registry.create_app(world.deps, OPERATOR, "bao-cao"))


def shown(html: str, element: str) -> int:
    found = re.search(rf'id="{element}">([\d.]+)<', html)
    assert found, f"{element} not on the page"
    return int(found.group(1).replace(".", ""))


def shown_totals(html: str) -> dict[str, int]:
    return {name: shown(html, "total-" + name.replace("_", "-")) for name in FIGURES}


def link(html: str, element: str) -> str:
    found = re.search(rf'id="{element}" href="([^"]+)"', html)
    assert found, f"{element} not on the page"
    return found.group(1).replace("&amp;", "&")


def xlsx_rows(data: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def fetch(person: Person, url: str) -> tuple[int, dict[str, str], bytes]:
    cookie = "; ".join(f"{k}={v}" for k, v in person.browser.cookies.items())
    res = person.browser.client.http.request(
        "GET", url.removeprefix(BASE), body=b"",
        headers={"host": HOST, "x-forwarded-proto": "https", "cookie": cookie,
                 "accept": "*/*"})  # as a browser asks for a download
    return res.status_code, {k.lower(): v for k, v in res.headers.items()}, res.body


def test_a_unit_admins_report_shows_the_apis_figures(traffic: World) -> None:
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/reports?{NOVEMBER}")
    assert page.status == 200, page.text[:500]
    api = get(traffic.a, f"/v1/reports/units/{UNIT_A}?{NOVEMBER}").body
    assert shown_totals(page.text) == {name: api["totals"][name] for name in FIGURES}
    assert api["totals"]["sent"] > 0
    for name in ("chart-time", "chart-priority"):
        assert f'id="{name}"' in page.text
    assert 'id="chart-units"' not in page.text and 'id="ranking"' not in page.text
    # the chart by priority's figures table holds the API's by_priority
    table = page.text.split('id="chart-priority-table"')[1].split("</table>")[0]
    cells = [int(c) for c in re.findall(r'<td class="num">(\d+)</td>', table)]
    order = ("hoa_toc", "thuong_khan", "khan", "thuong")
    assert cells == [n for p in order for n in (api["by_priority"][p]["sent"],
                                                api["by_priority"][p]["received"])]


def proxied_calls(world: World) -> None:
    """Calls through the catalogue's proxy as `services/proxy.py` counts them: unit A's
    apps called unit B's service; unit A served a call of its own."""
    consumer, provider = proxy.usage(1200, 34_567, 200)
    failed_consumer, failed_provider = proxy.usage(10, 0, None)
    ops = [counters.tally(world.deps, UNIT_A, **consumer),
           counters.tally(world.deps, UNIT_A, **failed_consumer),
           counters.tally(world.deps, UNIT_B, **provider),
           counters.tally(world.deps, UNIT_B, **failed_provider),
           counters.tally(world.deps, UNIT_A, **proxy.usage(7, 70, 502)[1])]
    world.deps.table.transact(ops)
    counters.settle(world.deps, ops)


def test_the_report_shows_the_apis_calls_through_the_proxy(traffic: World) -> None:
    proxied_calls(traffic)  # docs/catalogue.md "Usage in the reports"
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/reports?{NOVEMBER}")
    api = get(traffic.a, f"/v1/reports/units/{UNIT_A}?{NOVEMBER}").body["services"]
    assert api["consumer"] == {"calls": 2, "failures": 1, "bytes_sent": 1210,
                               "bytes_received": 34_567}
    assert api["provider"]["calls"] == 1
    for side in ("consumer", "provider"):
        for name in ("calls", "failures", "bytes_sent", "bytes_received"):
            element = f"services-{side}-{name.replace('_', '-')}"
            assert shown(page.text, element) == api[side][name], element


def test_the_xlsx_export_is_the_apis_file(traffic: World) -> None:
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/reports?{NOVEMBER}")
    status, headers, body = fetch(admin, link(page.text, "export-xlsx"))
    assert status == 200
    assert headers["content-type"].startswith("application/vnd.openxmlformats")
    assert headers["content-disposition"].startswith("attachment;")
    assert "default-src 'none'" in headers["content-security-policy"]
    api_status, api_body = download(traffic.a, f"/v1/reports/units/{UNIT_A}/xlsx?{NOVEMBER}")
    assert api_status == 200, api_body[:300]
    assert xlsx_rows(body) == xlsx_rows(api_body)
    status, headers, body = fetch(admin, link(page.text, "export-csv"))
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert csv_rows(body) == csv_rows(download(
        traffic.a, f"/v1/reports/units/{UNIT_A}/csv?{NOVEMBER}")[1])


def test_an_operator_sees_the_province_and_the_ranking(traffic: World) -> None:
    operator = sign_in(traffic, OPERATOR, "vanhanh", ["operator"])
    page = operator.get(f"/console/reports?{NOVEMBER}&by=received")
    assert page.status == 200, page.text[:500]
    api = get(operator_app(traffic), f"/v1/reports/province?{NOVEMBER}").body
    assert shown_totals(page.text) == {name: api["totals"][name] for name in FIGURES}
    ranking = get(operator_app(traffic), f"/v1/reports/ranking?{NOVEMBER}&by=received").body
    rows = re.findall(r'<tr id="rank-([^"]+)">', page.text)
    assert rows == [item["unit"] for item in ranking["items"]] and rows
    assert 'id="chart-units"' in page.text
    status, _, body = fetch(operator, link(page.text, "ranking-xlsx"))
    assert status == 200
    assert xlsx_rows(body) == xlsx_rows(download(
        operator_app(traffic), f"/v1/reports/ranking/xlsx?{NOVEMBER}&by=received")[1])
    one = operator.get(f"/console/reports?{NOVEMBER}&unit={UNIT_B}")
    unit_api = get(operator_app(traffic), f"/v1/reports/units/{UNIT_B}?{NOVEMBER}").body
    assert shown_totals(one.text) == {name: unit_api["totals"][name] for name in FIGURES}


def test_a_day_asks_for_no_ranking_and_a_bad_period_is_a_400_form(traffic: World) -> None:
    operator = sign_in(traffic, OPERATOR, "vanhanh", ["operator"])
    day = operator.get("/console/reports?period=day&date=2026-11-09&from=&to=")
    assert day.status == 200 and 'id="ranking-months"' in day.text
    wrong = operator.get("/console/reports?period=month&date=2026-13")
    assert wrong.status == 400
    assert 'id="error"' in wrong.text and 'id="period-form"' in wrong.text
    assert 'id="totals"' not in wrong.text


def test_a_unit_admin_cannot_read_another_units_report(traffic: World) -> None:
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/reports?{NOVEMBER}&unit={UNIT_B}")
    assert page.status == 403 and 'id="totals"' not in page.text
    assert UNIT_B not in page.text.split('id="main"')[1]
    for query in (f"unit={UNIT_B}", "report=ranking", f"unit={UNIT_B}&format=xlsx"):
        answer = admin.get(f"/console/reports/export?{NOVEMBER}&{query}")
        assert answer.status == 403
        assert not answer.text.startswith("PK") and "forbidden" in answer.text


def test_a_unit_name_is_shown_as_text(traffic: World) -> None:
    units.update_unit(traffic.deps, UNIT_A, {"name": XSS}, actor=None)
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/reports?{NOVEMBER}")
    assert page.status == 200
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    operator = sign_in(traffic, OPERATOR, "vanhanh", ["operator"])
    ranking = operator.get(f"/console/reports?{NOVEMBER}")
    assert 'id="rank-000.00.01.H99"' in ranking.text
    assert XSS not in ranking.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in ranking.text
