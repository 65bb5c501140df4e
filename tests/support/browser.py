"""What browser tests need: a real headless Chromium, and the example relying party
(client/examples/sso_app.py) running on a loopback port.

The browser is Debian's chromium (`make browser` installs it), driven by Playwright without
its own browser download. The fixtures built on this live in tests/browser/conftest.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from infra.local.processes import free_port

DEFAULT_CHROMIUM = "/usr/bin/chromium"
EXAMPLE = Path(__file__).resolve().parents[2] / "client" / "examples" / "sso_app.py"
TIMEOUT_MS = 15_000  # a step that takes longer has failed (the default is 30 s)


def chromium_path() -> str:
    """The browser binary (LGSP_CHROMIUM, else /usr/bin/chromium); fails the test if absent."""
    path = os.environ.get("LGSP_CHROMIUM") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no Chromium at {path}: run `make browser` to install it "
                    "(or set LGSP_CHROMIUM to a Chromium binary)", pytrace=False)
    return path


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium (no sandbox: the tests may run as root)."""
    path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True,
                                             args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def fresh_context(browser: Browser) -> Iterator[BrowserContext]:
    """A new browser context: no cookies or storage shared with any other."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


# -- the example relying party --------------------------------------------------------------
@dataclass(frozen=True)
class AppAddress:
    """Where an example app will run: the URLs to register for it before it starts."""

    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.base}/"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{self.base}/backchannel-logout"


def new_app_address() -> AppAddress:
    return AppAddress(free_port())


def sso_example() -> ModuleType:
    """client/examples/sso_app.py as a module (examples are not a package)."""
    name = "lgsp_sso_app_example"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextmanager
def example_app(address: AppAddress, discovery_url: str, client_id: str,
                client_secret: str | None, name: str) -> Iterator[Any]:
    """Run the example app at `address` until the block exits; yields its SsoApp."""
    app = sso_example().make_app(discovery_url, client_id, client_secret, address.base, name)
    app.start(address.port)
    try:
        yield app
    finally:
        app.stop()
