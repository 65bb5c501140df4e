"""The console's reports in a real headless Chromium against the real hub over HTTP
(R-PROP-11, R-PROP-12; docs/console.md): a unit admin exports their report as
XLSX from the console and the file holds the API's numbers; the operator's report,
history, trace and presence pages render with no script error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page, expect

from chalicelib.api.exports import XLSX_TYPE
from infra.local.demo import DEMO_UNITS, OPERATOR_UNIT
from infra.local.launcher import LocalHub
from tests.support.console_browser import (
    Watched,
    check_page,
    client_of,
    make_person,
    shoot,
    sign_in,
)

SENDER, RECEIVER = DEMO_UNITS[0][0], DEMO_UNITS[1][0]


def rows(data: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_unit_admin_exports_the_apis_xlsx_and_the_operator_reads_the_pages(
        hub: LocalHub, page: Page, tmp_path: Path) -> None:
    from lgsp_client.exchange import send_file
    sender, operator = client_of(hub, SENDER), client_of(hub, OPERATOR_UNIT[0])
    document = tmp_path / "cong-van.txt"
    document.write_bytes(b"Cong van so 1 " * 50)
    sent = send_file(sender, document, to=[RECEIVER], title="Công văn", priority="khan",
                     progress=False).message
    watched = Watched(page)
    admin = make_person(operator, SENDER, "quantri", ["unit_admin"], name="Phạm Thu Hà")
    sign_in(page, hub.url, admin)
    page.click("nav >> text=Báo cáo")
    expect(page.locator("#totals")).to_be_visible()
    check_page(page)
    api = sender.call("GET", f"/v1/reports/units/{SENDER}")
    expect(page.locator("#total-sent")).to_have_text(str(api["totals"]["sent"]))
    assert api["totals"]["sent"] >= 1
    expect(page.locator("#services-consumer-calls")).to_have_text(
        str(api["services"]["consumer"]["calls"]))  # calls through the catalogue's proxy
    shoot(page, "console-reports-unit")
    with page.expect_download() as info:
        page.click("#export-xlsx")
    downloaded = Path(info.value.path()).read_bytes()
    expected = sender.download(f"/v1/reports/units/{SENDER}/xlsx", XLSX_TYPE).content
    assert rows(downloaded) == rows(expected)
    assert info.value.suggested_filename.endswith(".xlsx")
    page.click("nav >> text=Tra cứu gói tin")
    page.fill("#id", sent["id"])
    page.click("#trace-form button[type=submit]")
    expect(page.locator("#trace-table")).to_be_visible()
    check_page(page)
    shoot(page, "console-reports-trace")
    assert not watched.errors


def test_the_operators_pages(hub: LocalHub, page: Page) -> None:
    operator = client_of(hub, OPERATOR_UNIT[0])
    watched = Watched(page)
    person = make_person(operator, OPERATOR_UNIT[0], "vanhanh", ["operator"],
                         name="Lê Văn Vận")
    sign_in(page, hub.url, person)
    page.click("nav >> text=Báo cáo")
    expect(page.locator("#chart-time > svg")).to_be_visible()
    check_page(page)
    api = operator.call("GET", "/v1/reports/province")
    expect(page.locator("#total-sent")).to_have_text(str(api["totals"]["sent"]))
    shoot(page, "console-reports-province")
    page.goto(f"{hub.url}/console/reports/history?unit={SENDER}")
    expect(page.locator("#history-table")).to_be_visible()
    check_page(page)
    shoot(page, "console-reports-history")
    page.goto(f"{hub.url}/console/reports/connections?unit={SENDER}")
    expect(page.locator("#chart-online > svg")).to_be_visible()
    check_page(page)
    shoot(page, "console-reports-connections")
    page.click("nav >> text=Trạng thái kết nối")
    expect(page.locator("#online")).to_be_visible()
    check_page(page)
    shoot(page, "console-reports-presence")
    assert not watched.errors
