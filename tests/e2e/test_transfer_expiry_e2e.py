"""Transfers that outlast their presigned URLs, and transfers resumed after a crash, on a
real host whose URLs live one second (`LGSP_FETCH_URL_SECONDS=1`,
`LGSP_UPLOAD_URL_SECONDS=1`) and a store that enforces expiry (SeaweedFS): the client asks
the hub for fresh grants and keeps the parts it has (R-PROP-5, R-SEND-3, R-RECV-2/3).

Each test makes a URL expire between two parts deterministically: a hook after the first
part polls the store until it actually refuses the old URL (bounded), then lets the
transfer go on."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lgsp_client.api import JSON, LgspClient
from lgsp_client.download import download
from lgsp_client.exchange import create_request, fetch_file, idempotency_key, send_file
from lgsp_client.transfer import DEFAULT_PART_SIZE, hash_file, part_ranges, upload
from tests.e2e.conftest import ROOT, LocalHub, host_in
from tests.e2e.test_exchange_e2e import lgsp, store

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024
PART = 5 * MiB
SIZE = 4 * PART + 123  # five parts


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    host = host_in(tmp_path_factory.mktemp("short-urls") / "var",
                   LGSP_FETCH_URL_SECONDS="1", LGSP_UPLOAD_URL_SECONDS="1")
    host.start()
    try:
        yield host
    finally:
        host.stop()


class Recording(LgspClient):
    """The SDK as an app uses it, keeping the grants and upload plans the hub handed out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grants: list[JSON] = []
        self.plans: list[JSON] = []

    def create_message(self, request: Any, idempotency_key: str | None = None) -> JSON:
        created = super().create_message(request, idempotency_key)
        if created.get("upload"):
            self.plans.append(created["upload"])
        return created

    def upload_plan(self, message_id: str) -> JSON:
        self.plans.append(super().upload_plan(message_id))
        return self.plans[-1]

    def fetch(self, message_id: str) -> JSON:
        self.grants.append(super().fetch(message_id))
        return self.grants[-1]


def client(hub: LocalHub, index: int) -> Recording:
    app = hub.apps[index]
    return Recording(hub.url, app["access_key"], app["secret_key"])


def until_refused(probe: Callable[[], requests.Response], deadline_s: float = 30) -> None:
    """Poll the store until it refuses `probe` with 403 (bounded by `deadline_s`)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if probe().status_code == 403:
            return
        time.sleep(0.05)  # polling the store, bounded by the deadline
    pytest.fail("the store never refused the URL")


def grant_expired(grant: JSON) -> None:
    until_refused(lambda: requests.get(grant["url"], headers={"Range": "bytes=0-0"},
                                       timeout=10))


def upload_urls_expired(hub: LocalHub) -> None:
    """A URL signed now for one second: once the store refuses it, every upload URL
    signed before it (for one second too) is refused as well."""
    probe = store(hub).generate_presigned_url(
        "get_object", Params={"Bucket": "lgsp-exchange", "Key": "probe"}, ExpiresIn=1)
    until_refused(lambda: requests.get(probe, timeout=10))


def once_after_part(number: int, then: Callable[[], None]) -> Callable[[int], None]:
    done: list[int] = []

    def hook(part: int) -> None:
        done.append(part)
        if part == number:
            then()
    return hook


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path / "hồ-sơ-lớn.bin"
    path.write_bytes(data)
    return path, data


def sent(hub: LocalHub, path: Path) -> str:
    sender = client(hub, 0)
    result = send_file(sender, path, to=[hub.apps[1]["unit"]], title=f"lớn {path.stat()}",
                       part_size=PART, progress=False, new=True)
    return str(result.message["id"])


def test_a_download_outlasting_its_url_renews_it_before_the_next_part(
        hub: LocalHub, source: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = source
    message_id = sent(hub, path)
    receiver, notes = client(hub, 1), []
    result = fetch_file(receiver, message_id, tmp_path / "got.bin", concurrency=1,
                        note=notes.append,
                        on_part=once_after_part(1, lambda: grant_expired(receiver.grants[0])))
    assert (tmp_path / "got.bin").read_bytes() == data
    assert result.delivery["state"] == "confirmed"
    assert len(receiver.grants) >= 2
    assert any("expires soon; asking the hub for a fresh one" in n for n in notes)


def test_a_download_part_refused_for_expiry_gets_a_fresh_grant(
        hub: LocalHub, source: tuple[Path, bytes], tmp_path: Path) -> None:
    """The client's clock lags (it thinks the grant still valid): the store's 403 is what
    makes it ask again."""
    path, data = source
    message_id = sent(hub, path)
    receiver, reasons = client(hub, 1), []
    grant = receiver.fetch(message_id)
    lagging = time.time()
    got = download(grant, tmp_path / "got.bin", progress=False, part_size=PART,
                   concurrency=2, refresh=lambda: receiver.fetch(message_id),
                   now=lambda: lagging, on_renew=reasons.append,
                   on_part=once_after_part(1, lambda: grant_expired(grant)))
    assert (tmp_path / "got.bin").read_bytes() == data
    assert "refused" in reasons and len(receiver.grants) >= 2
    assert receiver.confirm(message_id, got.sha256)["state"] == "confirmed"


def test_an_upload_outlasting_its_urls_gets_fresh_ones_and_keeps_its_parts(
        hub: LocalHub, source: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = source
    sender, notes, stored = client(hub, 0), [], []

    def hook(part: int) -> None:
        stored.append(part)
        if part == 1:
            upload_urls_expired(hub)

    result = send_file(sender, path, to=[hub.apps[1]["unit"]], title="upload expiry",
                       part_size=PART, concurrency=1, progress=False, new=True,
                       note=notes.append, on_part=hook)
    assert result.message["state"] == "verified"
    assert sorted(stored) == [1, 2, 3, 4, 5]  # each part stored once
    assert len(sender.plans) >= 2
    receiver = client(hub, 1)
    fetch_file(receiver, str(result.message["id"]), tmp_path / "got.bin", progress=False)
    assert (tmp_path / "got.bin").read_bytes() == data


def test_an_upload_part_refused_for_expiry_gets_a_fresh_plan(
        hub: LocalHub, source: tuple[Path, bytes]) -> None:
    path, _ = source
    sender, reasons = client(hub, 0), []
    digest = hash_file(path, PART)
    to = [hub.apps[1]["unit"]]
    created = sender.create_message(create_request(
        to=to, title="refused upload", digest=digest, file_name=path.name,
        content_type="application/octet-stream"), idempotency_key(
        hub.apps[0]["access_key"], to, f"refused {time.time()}", digest.sha256, digest.size))
    message_id = str(created["message"]["id"])
    lagging = time.time()
    parts = upload(path, created["upload"], concurrency=1, progress=False,
                   refresh=lambda: sender.upload_plan(message_id), now=lambda: lagging,
                   on_renew=reasons.append,
                   on_part=once_after_part(1, lambda: upload_urls_expired(hub)))
    assert "refused" in reasons and len(sender.plans) >= 2
    assert sender.complete(message_id, parts)["message"]["state"] == "verified"


class Crash(Exception):
    """Stands for a killed process."""


def crash_after(count: int, record: list[int]) -> Callable[[int], None]:
    def hook(part: int) -> None:
        record.append(part)
        if len(record) == count:
            raise Crash
    return hook


def test_a_stopped_fetch_resumes_with_only_the_missing_parts(
        hub: LocalHub, source: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = source
    message_id = sent(hub, path)
    target = tmp_path / "got.bin"
    parts = len(part_ranges(SIZE, DEFAULT_PART_SIZE))  # downloads go by 8 MiB: three
    first: list[int] = []
    with pytest.raises(Crash):
        fetch_file(client(hub, 1), message_id, target, concurrency=1, progress=False,
                   on_part=crash_after(1, first))
    assert not target.exists()
    assert {p.name for p in tmp_path.iterdir()} >= {".got.bin.part", ".got.bin.part.journal"}
    second: list[int] = []
    result = fetch_file(client(hub, 1), message_id, target, progress=False,
                        on_part=second.append)
    assert target.read_bytes() == data
    assert result.file.sha256 == hashlib.sha256(data).hexdigest()
    assert result.delivery["state"] == "confirmed"
    assert 1 <= len(first) < parts  # the crash, and a part already under way finishing
    assert sorted(first + second) == list(range(1, parts + 1))
    assert not (tmp_path / ".got.bin.part").exists()
    assert not (tmp_path / ".got.bin.part.journal").exists()


def test_a_resumed_send_skips_the_parts_the_store_holds(
        hub: LocalHub, source: tuple[Path, bytes], tmp_path: Path) -> None:
    """Item: resuming re-uploaded every part. The second run here is `lgsp send` itself."""
    path, data = source
    first: list[int] = []
    title = f"resumed {time.time()}"
    with pytest.raises(Crash):
        send_file(client(hub, 0), path, to=[hub.apps[1]["unit"]], title=title,
                  part_size=PART, concurrency=1, progress=False,
                  on_part=crash_after(2, first))
    again = client(hub, 0)
    second: list[int] = []
    result = send_file(again, path, to=[hub.apps[1]["unit"]], title=title, part_size=PART,
                       concurrency=1, progress=False, on_part=second.append)
    assert result.message["state"] == "verified"
    held = [p["part_number"] for p in again.plans[0]["uploaded"]]
    assert held == sorted(first)
    assert sorted(second) == [n for n in range(1, 6) if n not in first]
    fetched = lgsp(hub, hub.apps[1], "--no-progress", "fetch", str(result.message["id"]),
                   "-o", str(tmp_path / "got.bin"))
    assert fetched.returncode == 0 and (tmp_path / "got.bin").read_bytes() == data


def test_lgsp_send_resumes_and_says_what_it_skips(
        hub: LocalHub, source: tuple[Path, bytes]) -> None:
    path, _ = source
    title = f"cli resumed {time.time()}"
    first: list[int] = []
    with pytest.raises(Crash):
        send_file(client(hub, 0), path, to=[hub.apps[1]["unit"]], title=title,
                  part_size=PART, concurrency=1, progress=False,
                  on_part=crash_after(2, first))
    done = lgsp(hub, hub.apps[0], "send", "--to", hub.apps[1]["unit"], "--title", title,
                "--part-size", "5", str(path))
    assert done.stdout.split()[1] == "verified"
    assert f"the store holds {len(first)} of 5 parts already" in done.stderr
    assert "upload 100% " in done.stderr  # progress lines in a log (stderr is a pipe)


def test_a_killed_lgsp_fetch_continues_where_it_stopped(hub: LocalHub, tmp_path: Path) -> None:
    """SIGKILL once the journal records a part; the next `lgsp fetch` starts its progress
    from the parts on disk (its first line is past them) and delivers the right bytes."""
    data = os.urandom(6 * DEFAULT_PART_SIZE)
    path = tmp_path / "six-parts.bin"
    path.write_bytes(data)
    message_id = sent(hub, path)
    target = tmp_path / "got.bin"
    journal = tmp_path / ".got.bin.part.journal"
    app = hub.apps[1]
    env = {**hub.env, "LGSP_ENDPOINT": hub.url, "LGSP_ACCESS_KEY": app["access_key"],
           "LGSP_SECRET_KEY": app["secret_key"], "LGSP_CREDENTIALS_FILE": "/nonexistent"}
    proc = subprocess.Popen([sys.executable, "-m", "lgsp_client", "fetch", message_id,
                             "--concurrency", "1", "-o", str(target)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            if journal.exists() and len(journal.read_text().splitlines()) > 1:
                break
            time.sleep(0.005)  # polling the journal, bounded by the deadline
        proc.kill()
    finally:
        proc.wait()
    done = len(journal.read_text().splitlines()) - 1
    assert 1 <= done < 6 and not target.exists()
    again = lgsp(hub, app, "fetch", message_id, "-o", str(target))
    shown = [int(line.split()[1].rstrip("%")) for line in again.stderr.splitlines()
             if line.startswith("download ")]
    assert shown and min(shown) > done * 100 // 6
    assert target.read_bytes() == data
    assert not journal.exists()
