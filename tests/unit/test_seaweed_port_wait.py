"""The store's port after a crash (R-COMP-2: `make run` starts again with nothing done by
hand): a client of the store that died may hold the port as its own end of a connection
that is closing, which blocks a new listener even with SO_REUSEADDR. The host waits for
such a port instead of refusing to start; a port another process listens on is refused
at once, naming it."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local import seaweed
from infra.local.seaweed import SeaweedError, SeaweedServer


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def connection_from_a_port(listener: socket.socket) -> tuple[socket.socket, socket.socket, int]:
    """A connection whose own end is a port no one listens on (as a client's is)."""
    client = socket.socket()
    client.bind(("127.0.0.1", 0))
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    return client, accepted, int(client.getsockname()[1])


def store_on(tmp_path: Path, port: int) -> SeaweedServer:
    return SeaweedServer(tmp_path, s3_port=port, access_key="LGSPTEST", secret_key="x" * 30)


def test_a_port_held_by_a_closing_connection_is_waited_for(
        tmp_path: Path, listener: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    client, accepted, port = connection_from_a_port(listener)
    assert not seaweed.port_is_free(port)
    waits: list[float] = []

    def the_connection_ends(seconds: float) -> None:  # while the host waits
        waits.append(seconds)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # reset: no TIME_WAIT left behind
        accepted.close()

    monkeypatch.setattr(seaweed.time, "sleep", the_connection_ends)
    store_on(tmp_path, port)._check_port()
    assert len(waits) == 1 and seaweed.port_is_free(port)


def test_a_port_still_held_when_the_wait_ends_is_refused_saying_why(
        tmp_path: Path, listener: socket.socket) -> None:
    client, accepted, port = connection_from_a_port(listener)
    store = store_on(tmp_path, port)
    store.port_wait_seconds = 0
    with pytest.raises(SeaweedError, match="connections that did not close"):
        store._check_port()
    client.close()
    accepted.close()


def test_a_port_another_process_listens_on_is_refused_at_once_naming_it(
        tmp_path: Path, listener: socket.socket) -> None:
    port = int(listener.getsockname()[1])
    with pytest.raises(SeaweedError, match=f"pid {os.getpid()}"):
        store_on(tmp_path, port)._check_port()  # no wait: the default 75 s never starts
