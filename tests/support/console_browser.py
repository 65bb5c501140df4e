"""The console in a real headless Chromium against the real hub (`make run`'s host):
people made through the admin API, signed in through the SSO's pages like anyone, and
checks every console page must pass (title, `lang`, labelled inputs, no script error)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from chalicelib.adapters import credentials

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "Hoa sen nở tháng Sáu 2026!"


def shoot(page: Page, name: str) -> Path:
    """A screenshot of the whole page, for people to look at (docs/console.md)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class Watched:
    """A page whose script errors and console errors are collected."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(
            f"{msg.text} ({msg.location.get('url')})") if msg.type == "error" else None)


def client_of(hub: Any, unit: str) -> Any:
    """An `lgsp_client` of the demo app of `unit` on a running host."""
    from lgsp_client.api import LgspClient
    app = next(a for a in hub.apps if a["unit"] == unit)
    return LgspClient(endpoint=hub.url, access_key=app["access_key"],
                      secret_key=app["secret_key"])


def make_person(operator: Any, unit: str, username: str, roles: list[str], *,
                name: str = "Trần Thị Lan") -> dict[str, str]:
    """A person created through the admin API: their account and one-time link."""
    made = operator.call("POST", f"/v1/admin/units/{unit}/people", body={
        "username": username, "name": name, "roles": roles}, retry=False)
    return {"account": made["person"]["account"], "link": made["link"],
            "typed": f"{username}@{unit}"}


def sign_in(page: Page, hub_url: str, person: dict[str, str]) -> None:
    """Set the password from the link, then sign in to the console (password, TOTP
    enrolment) and land on the dashboard."""
    page.goto(person["link"])
    page.fill("#new_password", PASSWORD)
    page.fill("#new_password_again", PASSWORD)
    page.click("#password-form button[type=submit]")
    expect(page.locator("#message")).to_be_visible()
    page.goto(f"{hub_url}/console")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#account", person["typed"])
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#otp-setup-form")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text()
    page.fill("#otp", credentials.totp_now(secret, int(time.time())))
    page.click("#otp-setup-form button[type=submit]")
    expect(page.locator("#me")).to_be_visible()
    expect(page.locator("main h1")).to_be_visible()


def check_page(page: Page) -> None:
    """What every console page must have: a title, `lang`, a label for every input."""
    assert page.title().endswith("· LGSP"), page.title()
    assert page.locator("html").get_attribute("lang") in ("vi", "en")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea')].filter(
        e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(
        e => e.name || e.id)""")
    assert not unlabelled, f"inputs without a label: {unlabelled}"
