"""A hub with its sign-in provider over real HTTP, for the `lgsp login` / person tests:
`/sso/*` goes to a `FakeOP`, the rest to the admin request routes of the fake hub, which
take an app's signature or a Bearer token the OP issued."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from lgsp_client.cli import main
from lgsp_client.cli_sso import Device
from tests.client.fakeadmin import RequestsHub
from tests.client.fakehub import FakeHub
from tests.client.fakeop import FakeOP
from tests.client.server import Handler, Received, Reply, Server, serve

APP_UNIT = "000.00.31.H99"


class Waits:
    """A clock that moves only when the CLI sleeps: polling is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.naps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class Hub:
    op: FakeOP
    admin: RequestsHub
    server: Server
    sso_dir: Path
    credentials: Path
    waits: Waits = field(default_factory=Waits)
    opened: list[str] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=lambda: {"DISPLAY": ":0"})

    def device(self) -> Device:
        def open_browser(url: str) -> bool:
            self.opened.append(url)
            return True
        return Device(sleep=self.waits.sleep, clock=self.waits.clock,
                      open_browser=open_browser, environ=self.environ, platform="linux")

    def lgsp(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(list(argv), out=out, device=self.device()), out.getvalue()

    def session_file(self, profile: str = "default") -> Path:
        return self.sso_dir / f"{profile}.json"

    def stored(self, profile: str = "default") -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.session_file(profile).read_text("utf-8"))
        return data

    def admin_calls(self) -> list[Received]:
        return [r for r in self.server.received if r.path.startswith("/v1/admin/")]

    def tokens(self) -> list[str]:
        """Every secret the provider handed out (none may ever be printed)."""
        return [*self.op.access, *self.op.refresh, *self.op.device_codes]


@contextmanager
def person_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
               layer: Callable[[RequestsHub], Handler] | None = None) -> Iterator[Hub]:
    """`layer` puts more routes in front of the request routes (it gets them to fall
    back on, and their fake hub to check callers with)."""
    credentials = tmp_path / "credentials"
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(credentials))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE", "LGSP_ENDPOINT",
                 "LGSP_ACCESS_KEY", "LGSP_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(BaseHTTPRequestHandler, "do_PATCH",
                        lambda self: self._any(), raising=False)
    op = FakeOP()
    admin = RequestsHub(FakeHub(keys={"AKSRC": "src-secret"}, units={"AKSRC": APP_UNIT},
                                bearer=op.caller))

    rest = admin if layer is None else layer(admin)

    def route(r: Received) -> Reply:
        return op(r) if r.path.startswith("/sso/") else rest(r)

    with serve(route) as server:
        op.url = admin.fake.url = server.url
        yield Hub(op, admin, server, tmp_path / "sso", credentials)


def write_profiles(hub: Hub, text: str) -> None:
    hub.credentials.write_text(text.replace("URL", hub.server.url), encoding="utf-8")
