"""Agency apps sending at once while hosts are killed under them (R-PROP-2, R-COMP-2):
`Senders` runs SENDERS threads, each sending up to ENOUGH messages through the agency
client's `send_file` (sender n through `hubs[n % len(hubs)]`) until its host goes away,
and sets `enough` once KILL_AFTER sends have succeeded: mid-traffic, whatever the
machine."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from pathlib import Path

from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspError
from lgsp_client.exchange import fetch_file, send_file
from tests.e2e.conftest import LocalHub

SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"
SENDERS = 20
KILL_AFTER = 40  # successful sends before the kill
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

    def __init__(self, hubs: list[LocalHub], files: Path) -> None:
        self.hubs, self.files = hubs, files
        self.succeeded: dict[str, str] = {}  # title -> message id answered with success
        self.attempted: dict[str, Path] = {}
        self.lock, self.stop, self.enough = threading.Lock(), threading.Event(), \
            threading.Event()
        self.threads = [threading.Thread(target=self.send, args=(n,)) for n in range(SENDERS)]
        for t in self.threads:
            t.start()

    def send(self, n: int) -> None:
        source = client(self.hubs[n % len(self.hubs)], SOURCE)
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


def check_each_delivered_once(senders: Senders, source: LgspClient, dest: LgspClient,
                              received: Path) -> None:
    """After the kill: every sender retries what it attempted (the same send again); every
    message that got a success answer is the same message, the source's outbox and the
    destination's inbox hold each attempted message exactly once, and each is received
    with the bytes that were sent."""
    attempted, succeeded = senders.attempted, senders.succeeded
    assert len(attempted) > len(succeeded)  # sends were in flight when the host died
    again = {title: str(send_file(source, path, to=[DEST], title=title,
                                  progress=False).message["id"])
             for title, path in attempted.items()}  # each sender's retry
    assert {t: again[t] for t in succeeded} == succeeded  # the same messages, not new
    outbox = Counter(str(i["title"]) for i in every("outbox", source))
    assert set(outbox) == set(attempted) and set(outbox.values()) == {1}
    inbox = every("inbox", dest)
    assert Counter(str(i["title"]) for i in inbox) == Counter(set(attempted))
    received.mkdir()
    for item in inbox:
        got = fetch_file(dest, str(item["id"]), received / f"{item['id']}", progress=False)
        assert got.delivery["state"] == "confirmed"
        assert got.file.path.read_bytes() == attempted[str(item["title"])].read_bytes()
    assert every("inbox", dest) == []
