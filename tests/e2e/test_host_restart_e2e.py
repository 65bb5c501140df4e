"""A host killed outright (SIGKILL, the out-of-memory killer) takes its SeaweedFS along,
and the same `make run` starts again on the same `var/` with every message still there
(R-COMP-2: the hub runs 24/7, so it must come back on its own; R-PROP-2: nothing lost).
A second live host on the same `var/` is still refused."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import LocalHub, host_in
from tests.e2e.realtime import HubApp

pytestmark = pytest.mark.e2e
SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"


def stores_on(folder: Path) -> list[int]:
    """Pids of the live `weed` processes whose data folder is `folder` (read from /proc,
    independently of the host's own bookkeeping)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile
            continue
        if state != "Z" and Path(os.fsdecode(args[0])).name == "weed" and \
                os.fsencode(f"-dir={folder}") in args:
            found.append(int(entry.name))
    return found


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within `seconds` (polled; SeaweedFS takes ~16 s to exit)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.2)  # polling a process table, bounded by the deadline
    return True


def app_of(hub: LocalHub, unit: str) -> HubApp:
    found = next(a for a in hub.apps if a["unit"] == unit)
    return HubApp(hub.url, found, lambda: int(time.time()))


def test_a_killed_host_takes_its_store_along_and_starts_again(tmp_path: Path) -> None:
    hub = host_in(tmp_path / "var")
    store = (tmp_path / "var" / "seaweed").resolve()
    hub.start()
    try:
        content = b"gui truoc khi may chu bi dung dot ngot"
        message_id = app_of(hub, SOURCE).send(content, DEST)
        assert len(stores_on(store)) == 1

        second = host_in(tmp_path / "var")  # a second live host on the same var/ ...
        with pytest.raises(RuntimeError, match="LGSP_S3_EMBEDDED=false"):
            second.start(deadline_s=60)  # ... is refused, and its store never starts
        assert len(stores_on(store)) == 1

        assert hub.proc is not None
        hub.proc.kill()  # SIGKILL: no handler runs, nothing is stopped in order
        assert hub.proc.wait(timeout=30) == -signal.SIGKILL
        hub.proc = None
        assert within(90, lambda: not stores_on(store)), "the store outlived its host"

        hub.start()  # the same command, the same environment
        assert requests.get(f"{hub.url}/v1/health", timeout=10).status_code == 200
        status, grant = app_of(hub, DEST).call("POST", f"/v1/messages/{message_id}/fetch", {})
        assert status == 200, grant
        download = requests.request(grant["method"], grant["url"], headers=grant["headers"],
                                    timeout=30)
        assert download.status_code == 200
        assert hashlib.sha256(download.content).digest() == hashlib.sha256(content).digest()
    finally:
        if hub.proc is not None:
            hub.stop()
        for pid in stores_on(store):  # a failed run leaves no store behind
            os.kill(pid, signal.SIGKILL)
