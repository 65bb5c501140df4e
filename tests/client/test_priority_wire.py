"""R-PROP-4: the hub takes only the four priority slugs; the client turns the spellings
agencies use (Vietnamese labels, edXML codes 0-3) into slugs before sending, from the CLI
and from Python alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.exchange import send_file
from tests.client.fakehub import FakeHub
from tests.client.server import Server, serve

KEY, SECRET = "AKSRC", "src-secret"
SLUGS = {"hoa_toc", "thuong_khan", "khan", "thuong"}


@pytest.fixture
def hub() -> Iterator[tuple[FakeHub, Server]]:
    fake = FakeHub(keys={KEY: SECRET}, units={KEY: "000.00.31.H99"})
    with serve(fake) as server:
        fake.url = server.url
        yield fake, server


@pytest.mark.parametrize(("given", "sent"), [
    ("Hỏa tốc", "hoa_toc"), ("Thượng khẩn", "thuong_khan"), ("2", "thuong_khan"),
    ("0", "thuong"), ("khan", "khan"),
])
def test_python_callers_send_slugs(hub: tuple[FakeHub, Server], tmp_path: Path, given: str,
                                   sent: str) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(b"%PDF-1.7 cong van")
    client = LgspClient(hub[1].url, KEY, SECRET, sleep=lambda _s: None)
    send_file(client, path, to=["000.00.32.H99"], title="CV 12", priority=given,
              progress=False)
    create = next(r for r in hub[1].received if r.path == "/v1/messages")
    assert json.loads(create.body)["priority"] == sent


def test_an_unknown_priority_is_refused_before_sending(hub: tuple[FakeHub, Server],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(b"x")
    client = LgspClient(hub[1].url, KEY, SECRET, sleep=lambda _s: None)
    with pytest.raises(ValueError, match="unknown priority"):
        send_file(client, path, to=["000.00.32.H99"], title="CV", priority="urgent",
                  progress=False)
    assert not [r for r in hub[1].received if r.path == "/v1/messages"]
