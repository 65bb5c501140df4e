"""Fixtures for tests driving a real headless Chromium (Debian's, via Playwright).

- `chromium`: the browser, one per test session (fails, never skips, when it is missing:
  `make browser` installs it);
- `browser_context`: a fresh context per test (its own cookies and storage);
- `page`: a page in that context;
- `new_browser_context`: makes more fresh contexts in a test (a second person), closed at
  the end of the test;
- `hub`: the real `make run` host, one per module; `operator`: its operator app's client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from infra.local.launcher import LocalHub
from tests.support.browser import fresh_context, launch_chromium
from tests.support.console_browser import client_of


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    with fresh_context(chromium) as context:
        yield context


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    return browser_context.new_page()


@pytest.fixture
def new_browser_context(chromium: Browser) -> Iterator[Callable[[], BrowserContext]]:
    with ExitStack() as stack:
        yield lambda: stack.enter_context(fresh_context(chromium))


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
        ) -> Iterator[LocalHub]:
    """The real `make run` host (demo mode), one per test module, in its own folder."""
    from tests.e2e.conftest import started_hub
    name = request.module.__name__.rsplit(".", 1)[-1]
    with started_hub(tmp_path_factory.mktemp(name) / "var") as running:
        yield running


@pytest.fixture(scope="module")
def operator(hub: LocalHub) -> Any:
    """The client of the IT department's demo app (an operator)."""
    from infra.local.demo import OPERATOR_UNIT
    return client_of(hub, OPERATOR_UNIT[0])
