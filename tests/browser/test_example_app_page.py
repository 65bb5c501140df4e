"""The example relying party in a real browser, against the fake provider: the browser
machinery the SSO browser tests stand on (R-SSO-1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium_path, example_app, new_app_address
from tests.support.fake_op import serve_fake_op

SCREENSHOT = Path("/tmp/rp-signed-in.png")


def test_sign_in_and_out_in_a_real_browser(page: Page) -> None:
    SCREENSHOT.unlink(missing_ok=True)
    with serve_fake_op({"app-a": "secret-a"}) as op:
        address = new_app_address()
        with example_app(address, op.discovery_url, "app-a", "secret-a", "Ứng dụng A"):
            page.goto(f"{address.base}/")
            expect(page.locator("#status")).to_have_text("Not signed in")

            page.click("#login")  # through the provider, which approves at once
            expect(page).to_have_url(f"{address.base}/")
            expect(page.locator("#status")).to_have_text(
                "Signed in as Nguyễn Văn A (nva@000.00.12.H40@bacgiang.gov.vn), "
                "unit 000.00.12.H40")
            page.screenshot(path=str(SCREENSHOT))

            page.click("#logout")
            expect(page.locator("#notice")).to_have_text("You have signed out.")
            expect(page.locator("#status")).to_have_text("Not signed in")
    assert SCREENSHOT.stat().st_size > 0
    assert re.fullmatch(r"[\w-]{43}", op.authorize_requests[0]["code_challenge"])


def test_a_missing_browser_fails_with_the_way_to_install_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LGSP_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.fail.Exception, match="run `make browser`"):
        chromium_path()
