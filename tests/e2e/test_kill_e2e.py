"""The host killed mid-traffic (issue "proven, not assumed"; R-PROP-2, R-COMP-2): 20
senders send at once through the agency client, the host is killed with SIGKILL while
they do, and started again with the same command and no manual step. Every message that
got a success answer is there exactly once, the senders' retries (the same send again)
finish the others without a duplicate, and the destination receives each exactly once,
with the bytes that were sent."""

from __future__ import annotations

import hashlib
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspError
from lgsp_client.exchange import fetch_file, send_file
from tests.e2e.conftest import LocalHub, host_in

pytestmark = pytest.mark.e2e
SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"
SENDERS = 20
KILL_AFTER = 40  # successful sends before the kill: mid-traffic, whatever the machine
ENOUGH = 10  # messages a sender tries at most


def client(hub: LocalHub, unit: str) -> LgspClient:
    app = next(a for a in hub.apps if a["unit"] == unit)
    return LgspClient(hub.url, app["access_key"], app["secret_key"], attempts=1,
                      timeout=(2.0, 10.0))


def every(page_of: object, client_: LgspClient) -> list[dict[str, object]]:
    items, cursor = [], None
    while True:
        page = getattr(client_, str(page_of))(cursor=cursor, limit=200)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


class Senders:
    """SENDERS threads, each sending up to ENOUGH messages through `send_file` until the
    hub goes away; `enough` is set after KILL_AFTER successful sends."""

    def __init__(self, hub: LocalHub, files: Path) -> None:
        self.hub, self.files = hub, files
        self.succeeded: dict[str, str] = {}  # title -> message id answered with success
        self.attempted: dict[str, Path] = {}
        self.lock, self.stop, self.enough = threading.Lock(), threading.Event(), \
            threading.Event()
        self.threads = [threading.Thread(target=self.send, args=(n,)) for n in range(SENDERS)]
        for t in self.threads:
            t.start()

    def send(self, n: int) -> None:
        source = client(self.hub, SOURCE)
        for k in range(ENOUGH):
            if self.stop.is_set():
                return
            title = f"Công văn {n}-{k}"
            path = self.files / f"{n}-{k}.bin"
            path.write_bytes(hashlib.sha256(title.encode()).digest() * (200 + 37 * k))
            with self.lock:
                self.attempted[title] = path
            try:
                sent = send_file(source, path, to=[DEST], title=title, progress=False)
            except (LgspError, OSError):
                return  # the hub went away: this sender stops, as an app would
            with self.lock:
                self.succeeded[title] = str(sent.message["id"])
                if len(self.succeeded) >= KILL_AFTER:
                    self.enough.set()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def test_a_host_killed_during_twenty_senders_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    hub = host_in(tmp_path / "var")
    hub.start()
    (tmp_path / "files").mkdir()
    senders = Senders(hub, tmp_path / "files")
    try:
        assert senders.enough.wait(timeout=300), \
            f"only {len(senders.succeeded)} sends in 5 minutes"
        assert hub.proc is not None
        hub.proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: mid-traffic
        hub.proc.wait(timeout=30)
        hub.proc = None
        senders.join()
        hub.start()  # the same command, nothing done by hand
        source, dest = client(hub, SOURCE), client(hub, DEST)
        attempted, succeeded = senders.attempted, senders.succeeded
        assert len(attempted) > len(succeeded)  # sends were in flight when it died
        again = {title: str(send_file(source, path, to=[DEST], title=title,
                                      progress=False).message["id"])
                 for title, path in attempted.items()}  # each sender's retry
        assert {t: again[t] for t in succeeded} == succeeded  # the same messages, not new
        outbox = Counter(str(i["title"]) for i in every("outbox", source))
        assert set(outbox) == set(attempted) and set(outbox.values()) == {1}
        inbox = every("inbox", dest)
        assert Counter(str(i["title"]) for i in inbox) == Counter(set(attempted))
        (tmp_path / "received").mkdir()
        for item in inbox:
            got = fetch_file(dest, str(item["id"]), tmp_path / "received" / f"{item['id']}",
                             progress=False)
            assert got.delivery["state"] == "confirmed"
            assert got.file.path.read_bytes() == attempted[str(item["title"])].read_bytes()
        assert every("inbox", dest) == []
    finally:
        senders.join()
        if hub.proc is not None:
            hub.stop()
