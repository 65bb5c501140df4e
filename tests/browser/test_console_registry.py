"""The registry's console pages in a real headless Chromium against the real hub (R-JOIN-1,
R-OPS-3): an operator imports units (the dry run reports every row, confirming applies
it, the units appear in the list), opens one, and looks at a unit's apps and keys."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from infra.local.demo import OPERATOR_UNIT
from infra.local.launcher import LocalHub
from tests.support.console_browser import Watched, check_page, make_person, shoot, sign_in

CSV = ("code,name,short_name\n000.01.41.H99,Sở Tài chính thử nghiệm,STC\n"
       "000.02.41.H99,Sở Y tế thử nghiệm,\n")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_of(text: str) -> bytes:
    """The CSV's rows as an XLSX workbook."""
    import csv
    import io

    import openpyxl
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(text)):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_operator_imports_units_and_finds_them(hub: LocalHub, operator: Any,
                                                   page: Page) -> None:
    sign_in(page, hub.url, make_person(operator, OPERATOR_UNIT[0], "dangky", ["operator"],
                                       name="Phạm Thị Đăng"))
    watched = Watched(page)  # the registry's pages (signing in is the dashboard test's)
    page.click("nav a[href$='/console/units']")
    expect(page).to_have_title("Đơn vị của tỉnh · Bảng điều khiển · LGSP")
    check_page(page)
    page.click("#to-import")
    check_page(page)
    page.set_input_files("#file", files=[{  # an Excel workbook, as operators keep lists
        "name": "don-vi.xlsx", "mimeType": XLSX, "buffer": workbook_of(CSV)}])
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-valid")).to_be_visible()
    expect(page.locator("#import-good")).to_have_text("2")
    expect(page.locator("#import-lines")).to_contain_text("Sở Y tế thử nghiệm")
    check_page(page)
    shoot(page, "console-registry-import-report")
    page.click("#import-apply button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("2")
    page.fill("#q", "so tai chinh thu")
    page.click("#units-filter button[type=submit]")
    expect(page.locator("#units")).to_contain_text("Sở Tài chính thử nghiệm")
    shoot(page, "console-registry-units")
    page.click("a[href$='/console/units/000.01.41.H99']")
    expect(page.locator("#unit-name")).to_have_text("Sở Tài chính thử nghiệm")
    expect(page.locator("#unit-history")).to_contain_text("dangky")
    check_page(page)
    shoot(page, "console-registry-unit")
    page.goto(f"{hub.url}/console/apps?unit={OPERATOR_UNIT[0]}")
    expect(page.locator("#apps")).to_be_visible()
    check_page(page)
    shoot(page, "console-registry-apps")
    page.goto(f"{hub.url}/console/people?unit={OPERATOR_UNIT[0]}")
    expect(page.locator("#people")).to_contain_text("dangky")
    check_page(page)
    shoot(page, "console-registry-people")
    assert not watched.errors
