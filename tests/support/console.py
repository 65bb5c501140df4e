"""The console in tests: a person signed in through the hub's SSO (chalice's test client
with a cookie-keeping browser stand-in), and the operator world most console tests use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib import bootstrap
from chalicelib.services import registry
from tests.support.hub import World
from tests.support.sso import BASE, PASSWORD, Answer, Browser, RecordingPoster, make_person, otp

OPERATOR = "000.00.30.H99"
CONSOLE = f"{BASE}/console"


def console_overrides() -> dict[str, object]:
    return {"operator_units": OPERATOR, "public_url": BASE}


def with_operator_unit(hub: World) -> Iterator[World]:
    hub.deps = dataclasses.replace(hub.deps, poster=RecordingPoster())
    bootstrap.install(hub.deps)
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    yield hub


@dataclass
class Person:
    browser: Browser
    account: str
    home: Answer  # the dashboard after signing in

    def get(self, path: str) -> Answer:
        return self.browser.get(f"{BASE}{path}")

    def submit(self, page: Answer, fields: dict[str, str], *, form: str | None = None
               ) -> Answer:
        """Post a form of `page` (the one with id `form`, else the first after the
        menu's sign-out) with its CSRF token."""
        import re
        tags = re.findall(r"<form[^>]*>", page.text)
        if form:
            tags = [tag for tag in tags if f'id="{form}"' in tag]
        else:
            tags = [tag for tag in tags if 'method="post"' in tag and 'id="logout"' not in tag]
        assert tags, "no such form on the page"
        action = re.search(r'action="([^"]*)"', tags[0])
        assert action
        url = action.group(1).replace("&amp;", "&")
        return self.browser.post(url, {"csrf": page.hidden(), **fields})


def sign_in(hub: World, unit: str, username: str, roles: list[str], *,
            name: str = "Trần Thị Bình") -> Person:
    """A person of `unit` with `roles` signs in to the console through the SSO."""
    account, secret = make_person(hub.deps, unit, username, roles, name=name)
    browser = Browser(hub.client)
    first = browser.follow(browser.get(f"{CONSOLE}"), stop_at=BASE)
    assert 'id="login-form"' in first.text, first.text[:400]
    answer = browser.follow(browser.submit(first, {"account": account, "password": PASSWORD}),
                            stop_at=BASE)
    if 'id="otp-form"' in answer.text:
        assert secret is not None
        answer = browser.follow(browser.submit(answer, {"otp": otp(secret, hub.deps)}),
                                stop_at=BASE)
    return Person(browser, account, answer)
