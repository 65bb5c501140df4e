"""The console's operations pages in a real headless Chromium against the real hub
(R-OPS-4, R-OPS-5): an operator publishes a maintenance notice in the console and an app
connected over the WebSocket receives it; a unit admin reads their error log after their
app's call was refused, with the request id and what to do; the audit log names the
operator."""

from __future__ import annotations

import time
from datetime import datetime

from playwright.sync_api import Page, expect

from chalicelib.domain.times import PROVINCE_TZ
from infra.local.demo import DEMO_UNITS, OPERATOR_UNIT
from infra.local.launcher import LocalHub
from tests.e2e.realtime import HubApp
from tests.support.console_browser import (
    Watched,
    check_page,
    client_of,
    make_person,
    shoot,
    sign_in,
)

UNIT = DEMO_UNITS[0][0]


def app_of(hub: LocalHub, unit: str) -> HubApp:
    found = next(a for a in hub.apps if a["unit"] == unit)
    return HubApp(hub.url, found, lambda: int(time.time()))


def local_minute(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%Y-%m-%dT%H:%M")


def test_a_notice_composed_in_the_console_reaches_a_connected_app(hub: LocalHub,
                                                                  page: Page) -> None:
    watched = Watched(page)
    person = make_person(client_of(hub, OPERATOR_UNIT[0]), OPERATOR_UNIT[0], "thongbao",
                         ["operator"], name="Phạm Thu Hà")
    sign_in(page, hub.url, person)
    with app_of(hub, UNIT).websocket() as ws:
        ws.send("sync")
        ws.wait_for("summary")
        page.click("nav >> text=Thông báo bảo trì")
        expect(page).to_have_title("Thông báo bảo trì · Bảng điều khiển · LGSP")
        check_page(page)
        page.fill("#title", "Bảo trì hệ thống tối thứ Bảy")
        page.fill("#body", "Tạm dừng trao đổi văn bản từ 22:00 đến 23:00.\nXin cảm ơn.")
        page.select_option("#severity", "maintenance")
        now = time.time()
        page.fill("#starts_at", local_minute(now + 3600))
        page.fill("#ends_at", local_minute(now + 7200))
        page.check("#service-exchange")
        page.click("#notice-form button[type=submit]")
        expect(page.locator("#notice")).to_be_visible()
        pushed = ws.wait_for("notice")["notice"]
    assert pushed["title"] == "Bảo trì hệ thống tối thứ Bảy"
    assert pushed["services"] == ["exchange"] and pushed["created_by"] == person["account"]
    expect(page.locator(".banner")).to_contain_text("Bảo trì hệ thống tối thứ Bảy")
    shoot(page, "console-operations-notices")
    page.click("nav >> text=Nhật ký quản trị")
    expect(page.locator("#audit-lines")).to_contain_text("POST /console/notices")
    expect(page.locator("#audit-lines")).to_contain_text(person["account"])
    check_page(page)
    shoot(page, "console-operations-audit")
    assert not watched.errors


def test_a_unit_admin_reads_the_error_log_after_a_refused_call(hub: LocalHub,
                                                               page: Page) -> None:
    status, refused = app_of(hub, UNIT).call("POST", "/v1/messages", {"to": [DEMO_UNITS[1][0]]})
    assert status == 400 and refused["error"]["code"] == "validation_failed"
    watched = Watched(page)
    person = make_person(client_of(hub, OPERATOR_UNIT[0]), UNIT, "quantri", ["unit_admin"])
    sign_in(page, hub.url, person)
    expect(page.locator("#failures-24h")).to_contain_text("validation_failed")
    page.click("nav >> text=Nhật ký lỗi")
    expect(page).to_have_title("Nhật ký lỗi của đơn vị · Bảng điều khiển · LGSP")
    check_page(page)
    lines = page.locator("#error-lines")
    expect(lines).to_contain_text("validation_failed")
    expect(lines).to_contain_text("POST /v1/messages")
    expect(lines.locator(".request-id").first).not_to_be_empty()
    shoot(page, "console-operations-errors")
    page.click("a[hreflang=en]")
    expect(page.locator("#error-lines")).to_contain_text("Refused call")
    assert not watched.errors
