"""`lgsp status-reply` and `lgsp status-replies` against the real hub over loopback HTTP
(R-SEND-5, R-COMP-1, R-PROP-10; the national-standards status codes): a destination
answers a message it fetched, a refused code prints the hub's error, the source lists the
replies and saves one as an edXML status package; `lgsp watch` shows `message.status`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.domain.edxml.status import read_status
from lgsp_client.cli import main
from lgsp_client.render import event_line
from tests.integration.test_exchange_flow import receive, send
from tests.support.cli_hub import as_app, bridged_hub
from tests.support.hub import UNIT_A, UNIT_B, World


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    """The real hub (moto's table and store) behind a loopback bridge."""
    with bridged_hub(monkeypatch, tmp_path, "lgsp-status-test") as (world_, _):
        yield world_


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_a_destination_answers_and_the_source_reads_and_saves_the_package(
        hub: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    message_id = send(hub, b"cong van 12", [UNIT_B])
    receive(hub.b, message_id)
    as_app(monkeypatch, hub.b)
    code, out = lgsp("status-reply", message_id, "Tiếp nhận", "--comment", "Đã vào sổ")
    assert code == 0, capsys.readouterr().err
    assert f"{UNIT_B} (destination)  03 accepted (tiếp nhận)  Đã vào sổ" in out
    reply_id = out.split()[1]
    capsys.readouterr()
    assert lgsp("status-reply", message_id, "07")[0] == 1
    assert "invalid_status_code" in capsys.readouterr().err

    as_app(monkeypatch, hub.a)
    code, out = lgsp("status-replies", message_id)
    (line,) = out.splitlines()
    assert code == 0 and reply_id in line and f"{UNIT_B} (destination)  03 accepted" in line
    code, out = lgsp("status-replies", message_id, "--json")
    assert [r["code"] for r in json.loads(out)["items"]] == ["03"]
    code, out = lgsp("status-replies", message_id, "--edxml", reply_id)
    assert code == 0
    package, problems = read_status([out.encode()])
    assert problems == [] and package.status_code == "03"
    assert package.from_ is not None and package.from_.organ_id == UNIT_B
    assert package.response_for is not None
    assert package.response_for.document_id == message_id
    assert package.description == "Đã vào sổ"


def test_watch_shows_a_status_reply_readably() -> None:
    frame = {"type": "message.status", "recipient": UNIT_A, "message_id": "M1",
             "priority": "khan", "at": 1_893_456_000, "unit": UNIT_B, "code": "15",
             "meaning": "recall/update accepted (đồng ý thu hồi/cập nhật)",
             "comment": "Đồng ý", "reply_id": "R1", "hops": [{"hub": "ndxp", "at": 1}]}
    line = event_line(frame)
    assert line.startswith("2030-01-01T00:00:00Z  message.status ")
    assert line.endswith(f"  M1  Khẩn  by {UNIT_B}:  15 recall/update accepted (đồng ý thu "
                         "hồi/cập nhật)  via ndxp  “Đồng ý”")
