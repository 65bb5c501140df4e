"""A host process stopped with SIGTERM drains (R-COMP-2, R-PROP-6: hosts are taken out
one at a time for an upgrade): the request it is serving finishes and is answered by the
app, new connections are refused at once (a balancer sends them to another host), its
WebSockets are told "going away", its sweeper lease is given up, and it exits 0."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import host_in
from tests.e2e.raw_http import WAIT, RawClient, get

pytestmark = pytest.mark.e2e


def refuses_connections(port: int, deadline_s: float = WAIT) -> bool:
    """Whether the host's port refuses connections, polled until the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        except OSError:  # reset while the listener closed: try again
            pass
    return False


def test_sigterm_lets_the_request_in_progress_finish_and_refuses_new_ones(
        tmp_path: Path) -> None:
    hub = host_in(tmp_path / "var")
    hub.start()
    assert hub.proc is not None
    port = int(urlparse(hub.url).port or 0)
    client = RawClient(port)
    try:
        head = get("/v1/messages", "POST", Content_Type="application/json",
                   Content_Length="2")
        # 100 Continue: a worker holds the request and waits for its body.
        assert client.request(head[:-2] + b"Expect: 100-continue\r\n\r\n").status == 100
        hub.proc.send_signal(signal.SIGTERM)
        assert refuses_connections(port)  # new connections go elsewhere at once
        client.send(b"{}")  # the rest of the request in progress
        answer = client.answer()
        assert answer.status == 401  # answered by the app: the request was not signed
        assert answer.error["code"] == "signature_missing"
        assert hub.proc.wait(timeout=60) == 0
    finally:
        client.close()
        if hub.proc is not None and hub.proc.poll() is None:
            hub.stop()
    hub.proc = None
    log = hub.log()
    assert "stopping: no new connections" in log
    assert "gave the lease up" in log
