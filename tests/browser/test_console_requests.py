"""The request pages in a real Chromium against the real hub (R-OPS-1, R-OPS-2; docs/
console.md): a unit admin files form 01 online and sees its due date; an
operator finds it in the queue, approves it, sees the secret once and downloads the
answer letter, a Word document."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from infra.local.demo import DEMO_UNITS, OPERATOR_UNIT
from infra.local.launcher import LocalHub
from tests.support.console_browser import (
    Watched,
    check_page,
    make_person,
    shoot,
    sign_in,
)

FORM_01 = {"#f-letter-number": "125/STC-VP", "#f-letter-date": "2026-11-16",
           "#f-applicant-name": "Nguyễn Văn Hùng", "#f-applicant-position": "Chuyên viên",
           "#f-applicant-email": "hung@stc.example.gov.vn",
           "#f-applicant-phone": "0204 3856 123",
           "#f-system-name": "Phần mềm quản lý văn bản", "#f-developer": "Công ty Phần mềm",
           "#f-purpose": "Gửi, nhận văn bản điện tử", "#f-data-exchanged": "Văn bản (edXML)"}


def test_a_unit_files_form_01_and_the_operator_approves_it_and_downloads_the_letter(
        hub: LocalHub, operator: Any, page: Page,
        new_browser_context: Callable[[], BrowserContext], tmp_path: Any) -> None:
    unit = DEMO_UNITS[0][0]
    watched = Watched(page)
    sign_in(page, hub.url, make_person(operator, unit, "quantri", ["unit_admin"]))
    page.click("nav a:has-text('Yêu cầu')")
    expect(page).to_have_title("Yêu cầu của đơn vị · Bảng điều khiển · LGSP")
    check_page(page)
    page.click("#file-new")
    page.check("#kind-register_app")
    page.click("#pick-form button[type=submit]")
    expect(page.locator("#request-form")).to_be_visible()
    check_page(page)
    for selector, value in FORM_01.items():
        page.fill(selector, value)
    shoot(page, "console-requests-filing-form")
    page.click("#submit-request")
    expect(page.locator("#state")).to_have_text("Chờ trả lời")
    expect(page.locator("#due-date")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}"))
    expect(page.locator("#notice")).to_contain_text("Hạn trả lời:")
    request_path = page.url.split("?")[0].removeprefix(hub.url)
    check_page(page)
    assert not watched.errors

    desk = new_browser_context().new_page()
    watched = Watched(desk)
    sign_in(desk, hub.url, make_person(operator, OPERATOR_UNIT[0], "vanhanh", ["operator"],
                                       name="Lê Văn Vận"))
    desk.goto(f"{hub.url}/console/requests")
    expect(desk).to_have_title("Yêu cầu gia nhập, rời khỏi · Bảng điều khiển · LGSP")
    check_page(desk)
    shoot(desk, "console-requests-queue")
    desk.click(f"a[href$='{request_path}']")
    expect(desk.locator("#approve-form")).to_be_visible()
    check_page(desk)
    desk.fill("#a-answer_number", "88/STTTT-CNTT")
    desk.fill("#a-support_name", "Lê Minh")
    shoot(desk, "console-requests-detail")
    desk.click("#approve")
    expect(desk.locator("#shown-once")).to_be_visible()
    expect(desk.locator("#secret-key")).not_to_be_empty()
    check_page(desk)
    shoot(desk, "console-requests-letter-after-decision")
    with desk.expect_download() as info:
        desk.click("#letter-02")
    assert info.value.failure() is None
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith("mau-02-") and saved.suffix == ".docx"
    with zipfile.ZipFile(saved) as docx:
        assert "word/document.xml" in docx.namelist()
    desk.click("#back-to-request")
    expect(desk.locator("#state")).to_have_text("Đã phê duyệt")
    expect(desk.locator("#secret-key")).to_have_count(0)
    assert not watched.errors
