"""The host killed mid-traffic (issue "proven, not assumed"; R-PROP-2, R-COMP-2): 20
senders send at once through the agency client, the host is killed with SIGKILL while
they do, and started again with the same command and no manual step. Every message that
got a success answer is there exactly once, the senders' retries (the same send again)
finish the others without a duplicate, and the destination receives each exactly once,
with the bytes that were sent."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.conftest import host_in
from tests.e2e.senders import DEST, SOURCE, Senders, check_each_delivered_once, client

pytestmark = pytest.mark.e2e


def test_a_host_killed_during_twenty_senders_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    hub = host_in(tmp_path / "var")
    hub.start()
    (tmp_path / "files").mkdir()
    senders = Senders([hub], tmp_path / "files")
    try:
        assert senders.enough.wait(timeout=300), \
            f"only {len(senders.succeeded)} sends in 5 minutes"
        assert hub.proc is not None
        hub.proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: mid-traffic
        hub.proc.wait(timeout=30)
        hub.proc = None
        senders.join()
        hub.start()  # the same command, nothing done by hand
        check_each_delivered_once(senders, client(hub, SOURCE), client(hub, DEST),
                                  tmp_path / "received")
    finally:
        senders.join()
        if hub.proc is not None:
            hub.stop()
