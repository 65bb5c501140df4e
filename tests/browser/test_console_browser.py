"""The console in a real headless Chromium against the real hub over HTTP (R-PROP-11,
R-OPS-3): an operator signs in through the SSO and sees the dashboard with the figures
the reports API gives; every page has a title, `lang`, labelled inputs and no script
error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

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


def traffic(hub: LocalHub, tmp_path: Path) -> None:
    """Two documents from the first demo unit to the second, one fetched."""
    from lgsp_client.exchange import fetch_file, send_file
    sender, receiver = client_of(hub, DEMO_UNITS[0][0]), client_of(hub, DEMO_UNITS[1][0])
    for n in range(2):
        path = tmp_path / f"cong-van-{n}.txt"
        path.write_bytes(f"Công văn số {n}".encode() * 100)
        sent = send_file(sender, path, to=[DEMO_UNITS[1][0]], title=f"Công văn {n}",
                         progress=False)
    fetch_file(receiver, sent.message["id"], tmp_path / "nhan", progress=False)


def test_the_operator_sees_the_dashboard_the_api_sees(hub: LocalHub, operator: Any,
                                                      page: Page, tmp_path: Path) -> None:
    traffic(hub, tmp_path)
    watched = Watched(page)
    person = make_person(operator, OPERATOR_UNIT[0], "vanhanh", ["operator"],
                         name="Lê Văn Vận")
    sign_in(page, hub.url, person)
    expect(page).to_have_title("Tổng quan · Bảng điều khiển · LGSP")
    check_page(page)
    report = operator.call("GET", "/v1/reports/province?period=day")
    totals = report["totals"]
    assert totals["sent"] == 2
    expect(page.locator("#today-sent")).to_have_text(f"{totals['sent']:,}".replace(",", "."))
    expect(page.locator("#today-received")).to_have_text(
        f"{totals['received']:,}".replace(",", "."))
    expect(page.locator("#chart-30-days > svg")).to_be_visible()
    shoot(page, "console-dashboard")
    page.click("a[hreflang=en]")
    expect(page).to_have_title("Dashboard · Console · LGSP")
    check_page(page)
    shoot(page, "console-dashboard-en")
    assert not watched.errors
