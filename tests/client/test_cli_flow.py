"""The CLI end to end against the in-test hub: send (multipart, resumed, refreshed URLs),
inbox, fetch with verification, status, reject, and error output."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.cli import main
from lgsp_client.transfer import MiB
from tests.client.fakehub import FakeHub
from tests.client.server import Server, serve

SRC, DST = "000.00.31.H99", "000.00.32.H99"
KEYS = {"AKSRC": "src-secret", "AKDST": "dst-secret"}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FakeHub, Server]]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    monkeypatch.delenv("LGSP_PROFILE", raising=False)
    fake = FakeHub(keys=KEYS, units={"AKSRC": SRC, "AKDST": DST})
    with serve(fake) as server:
        fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        yield fake, server


def as_unit(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("LGSP_ACCESS_KEY", key)
    monkeypatch.setenv("LGSP_SECRET_KEY", KEYS[key])


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--no-progress", *argv], out=out)
    return code, out.getvalue()


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(12 * MiB + 5)
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(data)
    return path, data


def send_args(path: Path, *extra: str) -> list[str]:
    return ["send", "--to", DST, "--title", "Công văn 12/STC", "--priority", "Hỏa tốc",
            "--part-size", "5", "--confirm-within", "3d", *extra, str(path)]


def puts(server: Server) -> int:
    return sum(1 for r in server.received if r.method == "PUT")


def test_send_multipart_then_resume_is_a_replay(
        hub: tuple[FakeHub, Server], big_file: tuple[Path, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake, server = hub
    path, data = big_file
    as_unit(monkeypatch, "AKSRC")
    assert lgsp(*send_args(path)) == (0, "M0001 verified\n")
    create = next(r for r in server.received if r.path == "/v1/messages")
    body = json.loads(create.body)
    assert body["priority"] == "hoa_toc" and body["policy"] == {"confirm_within_seconds": 259200}
    assert body["content"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert [p["size"] for p in body["content"]["parts"]] == [5 * MiB, 5 * MiB, 2 * MiB + 5]
    assert body["content"]["content_type"] == "application/pdf"
    assert create.headers["Idempotency-Key"].startswith("lgsp-")
    assert puts(server) == 3
    complete = next(r for r in server.received if r.path.endswith("/complete"))
    assert [p["part_number"] for p in json.loads(complete.body)["parts"]] == [1, 2, 3]
    assert fake.messages["M0001"]["data"] == data

    assert lgsp(*send_args(path)) == (0, "M0001 verified\n")
    again = [r for r in server.received if r.path == "/v1/messages"][-1]
    assert again.headers["Idempotency-Key"] == create.headers["Idempotency-Key"]
    assert puts(server) == 3

    assert lgsp(*send_args(path, "--new")) == (0, "M0002 verified\n")


def test_changed_options_conflict_with_a_hint(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text("xin chào")
    as_unit(monkeypatch, "AKSRC")
    assert lgsp(*send_args(path))[0] == 0
    code, _ = lgsp(*[a if a != "Hỏa tốc" else "khan" for a in send_args(path)])
    assert code == 1
    assert capsys.readouterr().err.startswith(
        "error: idempotency_conflict: used for a different request (")


def test_expired_or_refused_upload_urls_are_renewed(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, server = hub
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 1000)
    as_unit(monkeypatch, "AKSRC")
    fake.create_expires_at = "2000-01-01T00:00:00Z"
    assert lgsp(*send_args(path))[0] == 0
    assert "/v1/messages/M0001/upload" in [r.path for r in server.received]
    fake.create_expires_at, fake.refuse_puts = "2999-01-01T00:00:00Z", 1
    path.write_bytes(b"b" * 1000)
    assert lgsp(*send_args(path)) == (0, "M0002 verified\n")
    assert "/v1/messages/M0002/upload" in [r.path for r in server.received]


def sent(fake: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    data = os.urandom(200_000)
    path = tmp_path / "outgoing" / "bao-cao.pdf"
    path.parent.mkdir()
    path.write_bytes(data)
    as_unit(monkeypatch, "AKSRC")
    assert lgsp(*send_args(path))[0] == 0
    as_unit(monkeypatch, "AKDST")
    return data


def test_inbox_fetch_confirm(hub: tuple[FakeHub, Server], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = hub
    data = sent(fake, tmp_path, monkeypatch)
    code, out = lgsp("inbox")
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "PRIORITY", "SOURCE", "TITLE", "SIZE",
                                           "AVAILABLE_AT"]
    assert "M0001" in out and "Hỏa tốc" in out and "195.3 KiB" in out
    assert json.loads(lgsp("inbox", "--json")[1])["items"][0]["id"] == "M0001"

    target = tmp_path / "in" / "got.pdf"
    target.parent.mkdir()
    code, out = lgsp("fetch", "M0001", "-o", str(target))
    assert code == 0 and out.startswith(f"{target} 200000 sha256:")
    assert target.read_bytes() == data
    assert fake.confirmations == [("M0001", hashlib.sha256(data).hexdigest(), True)]

    monkeypatch.chdir(target.parent)
    assert lgsp("fetch", "M0001")[0] == 0
    assert (target.parent / "bao-cao.pdf").read_bytes() == data
    assert lgsp("fetch", "M0001")[0] == 1  # never overwrites a name chosen by the sender


def test_sender_chosen_names_stay_in_the_target_directory(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = hub
    data = sent(fake, tmp_path, monkeypatch)
    fake.messages["M0001"]["request"]["content"]["file_name"] = "../..\\x/\x00evil.pdf"
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    assert lgsp("fetch", "M0001", "-o", str(folder))[0] == 0
    assert [p.name for p in folder.iterdir()] == ["evil.pdf"]
    assert (folder / "evil.pdf").read_bytes() == data


def test_fetch_mismatch_tells_the_hub_and_keeps_nothing(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    data = sent(fake, tmp_path, monkeypatch)
    fake.corrupt_download = True
    folder = tmp_path / "in"
    folder.mkdir()
    assert lgsp("fetch", "M0001", "-o", str(folder)) == (3, "")
    assert list(folder.iterdir()) == []
    [(message_id, sha256, ok)] = fake.confirmations
    assert (message_id, ok) == ("M0001", False)
    assert sha256 == hashlib.sha256(bytes([data[0] ^ 0xFF]) + data[1:]).hexdigest()
    assert capsys.readouterr().err.startswith("error: checksum_mismatch: ")


def test_status_reject_whoami_time(hub: tuple[FakeHub, Server], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    sent(fake, tmp_path, monkeypatch)
    assert lgsp("reject", "M0001", "--reason", "Không thuộc thẩm quyền") == \
        (0, "M0001 rejected\n")
    code, out = lgsp("status", "M0001")
    assert code == 0
    assert f"{DST}  rejected" in out and "requested" in out and "Hỏa tốc" in out
    assert json.loads(lgsp("status", "M0001", "--json")[1])["deliveries"][0]["state"] == \
        "rejected"
    assert lgsp("whoami")[1].startswith(f"unit:      {DST}\n")
    assert re.search(r"offset:  [+-][01] s", lgsp("time")[1])
    assert lgsp("status", "nope")[0] == 1
    assert capsys.readouterr().err == "error: message_not_found: refused\n"


def test_an_empty_file_is_sent_fetched_and_confirmed(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-PROP-1: a 0-byte document is an exchange like any other (one PUT of no bytes)."""
    fake, server = hub
    path = tmp_path / "trống.txt"
    path.write_bytes(b"")
    as_unit(monkeypatch, "AKSRC")
    assert lgsp(*send_args(path)) == (0, "M0001 verified\n")
    create = json.loads(next(r for r in server.received if r.path == "/v1/messages").body)
    assert create["content"]["size"] == 0 and "parts" not in create["content"]
    assert create["content"]["sha256"] == hashlib.sha256(b"").hexdigest()
    [put] = [r for r in server.received if r.method == "PUT"]
    assert (put.headers["Content-Length"], put.body) == ("0", b"")
    as_unit(monkeypatch, "AKDST")
    target = tmp_path / "got.txt"
    code, out = lgsp("fetch", "M0001", "-o", str(target))
    assert code == 0 and out.startswith(f"{target} 0 sha256:")
    assert target.read_bytes() == b""
    assert fake.confirmations == [("M0001", hashlib.sha256(b"").hexdigest(), True)]


def test_progress_lines_go_to_a_log_and_no_progress_silences_them(
        hub: tuple[FakeHub, Server], big_file: tuple[Path, bytes], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """stderr is not a terminal here (as under a service manager or cron)."""
    path, data = big_file
    as_unit(monkeypatch, "AKSRC")
    assert main(send_args(path), out=io.StringIO()) == 0
    err = capsys.readouterr().err
    assert re.search(r"^hashing 100% 12\.0 MiB of 12\.0 MiB [\d.]+ MiB/s$", err, re.M)
    assert re.search(r"^upload 100% 12\.0 MiB of 12\.0 MiB [\d.]+ MiB/s$", err, re.M)
    as_unit(monkeypatch, "AKDST")
    assert main(["fetch", "M0001", "-o", str(tmp_path / "got.pdf")], out=io.StringIO()) == 0
    assert re.search(r"^download 100% 12\.0 MiB of 12\.0 MiB", capsys.readouterr().err, re.M)
    assert main(["--no-progress", "fetch", "M0001", "-o", str(tmp_path / "again.pdf")],
                out=io.StringIO()) == 0
    assert capsys.readouterr().err == ""


def test_send_missing_file(hub: tuple[FakeHub, Server], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    as_unit(monkeypatch, "AKSRC")
    assert lgsp(*send_args(tmp_path / "missing.pdf"))[0] == 1
    assert capsys.readouterr().err.startswith("error: io: No such file or directory")
