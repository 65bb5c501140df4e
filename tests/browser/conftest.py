"""Fixtures for tests driving a real headless Chromium (Debian's, via Playwright).

- `chromium`: the browser, one per test session (fails, never skips, when it is missing:
  `make browser` installs it);
- `browser_context`: a fresh context per test (its own cookies and storage);
- `page`: a page in that context;
- `new_browser_context`: makes more fresh contexts in a test (a second person), closed at
  the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.browser import fresh_context, launch_chromium


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
