"""The ports of the single-machine host's own servers (R-COMP-2: `make run` starts with
nothing done by hand). A port chosen free is free only until someone binds it: chosen in
the kernel's ephemeral range, it could be handed to an outgoing connection (SeaweedFS's
services connect to each other while it starts) or to another `bind(0)` before the server
meant for it listened. Ports are chosen below that range and reserved for a while against
every other process choosing (test workers, hosts), and the store starts again on new
internal ports when one was taken anyway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local import processes, seaweed
from infra.local.processes import free_ports
from infra.local.seaweed import SeaweedError, SeaweedServer

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
ROOT = Path(__file__).resolve().parents[2]


def ephemeral_low() -> int:
    return int(EPHEMERAL.read_text().split()[0])


def test_ports_are_chosen_below_the_ephemeral_range() -> None:
    low = ephemeral_low()
    assert low - processes.LISTEN_FLOOR >= 1024, "this machine's range leaves no room"
    ports = free_ports(40)
    assert len(set(ports)) == 40
    assert all(processes.LISTEN_FLOOR <= port < low for port in ports), ports


def test_a_port_is_not_handed_out_twice() -> None:
    first, second = free_ports(20), free_ports(20)
    assert not set(first) & set(second)


@pytest.fixture
def three_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> range:
    """Choices narrowed to three free ports, with reservations of the test's own."""
    for _ in range(100):
        base = free_ports(1)[0]
        if all(processes.port_is_free(port) for port in range(base, base + 3)):
            break
    monkeypatch.setattr(processes, "listening_range", lambda: range(base, base + 3))
    monkeypatch.setattr(processes, "RESERVATIONS", tmp_path / "reserved")
    return range(base, base + 3)


def test_a_port_another_process_chose_is_left_to_it(three_ports: range,
                                                     tmp_path: Path) -> None:
    """Two test workers, or a host and its tests, choose ports at once: a port one chose
    and has not listened on yet is not given to the other."""
    chooser = (f"from pathlib import Path\nfrom infra.local import processes\n"
               f"processes.listening_range = lambda: range({three_ports.start}, "
               f"{three_ports.stop})\n"
               f"processes.RESERVATIONS = Path({str(tmp_path / 'reserved')!r})\n"
               f"print(*processes.free_ports(2))\n")
    out = subprocess.run([sys.executable, "-c", chooser], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    theirs = {int(port) for port in out.split()}
    assert len(theirs) == 2 and theirs <= set(three_ports)
    ours = free_ports(1)
    assert ours == list(set(three_ports) - theirs)
    with pytest.raises(OSError, match="no 1 free loopback ports"):
        free_ports(1)


def test_a_reservation_lapses(three_ports: range, tmp_path: Path) -> None:
    chosen = free_ports(3)
    stale = time.time() - processes.RESERVED_SECONDS - 1
    os.utime(tmp_path / "reserved" / str(chosen[0]), (stale, stale))
    os.utime(tmp_path / "reserved" / str(chosen[1]), (stale, stale))
    again = free_ports(1)
    assert again in ([chosen[0]], [chosen[1]])
    left = {int(path.name) for path in (tmp_path / "reserved").iterdir() if path.name.isdigit()}
    assert left == {chosen[2], again[0]}, "the other lapsed reservation is removed"


def test_a_reservation_folder_of_another_user_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another user of /tmp made the folder first: ports are still chosen, nothing is
    written there."""
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o777)
    monkeypatch.setattr(processes, "RESERVATIONS", theirs)
    monkeypatch.setattr(processes.os, "getuid", lambda: theirs.stat().st_uid + 1)
    assert len(set(free_ports(3))) == 3
    assert list(theirs.iterdir()) == []


def test_without_room_below_the_range_the_kernel_chooses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = tmp_path / "ip_local_port_range"
    narrow.write_text("1024\t65535\n")
    monkeypatch.setattr(processes, "EPHEMERAL_RANGE", narrow)
    assert processes.listening_range() == range(0)
    ports = free_ports(5)
    assert len(set(ports)) == 5 and all(port > 0 for port in ports)


def test_the_ports_chosen_are_free() -> None:
    for port in free_ports(10):
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # raises if it were not


@pytest.fixture
def held() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_ports(1)[0]))
        server.listen()
        yield int(server.getsockname()[1])


def test_an_internal_port_taken_before_weed_listens_starts_it_on_others(
        tmp_path: Path, held: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a CI run: the filer's gRPC port was bound by another process between its
    choice and weed's listen, and weed exited. The store starts on new ports instead."""
    real = seaweed.free_ports
    calls: list[list[int]] = []

    def first_choice_taken(count: int, exclude: frozenset[int] = frozenset()) -> list[int]:
        ports = real(count, exclude)
        if not calls:
            ports[seaweed.INTERNAL_PORTS.index("filer_grpc")] = held
        calls.append(ports)
        return ports

    monkeypatch.setattr(seaweed, "free_ports", first_choice_taken)
    server = SeaweedServer(tmp_path / "store", s3_port=free_ports(1)[0], access_key="LGSPTEST",
                           secret_key="x" * 30)
    server.start()
    try:
        assert len(calls) == 2
        assert held not in server.ports.values()
        assert server.ports == dict(zip(seaweed.INTERNAL_PORTS, calls[1], strict=True))
        assert server.running  # start() returned: a signed ListBuckets was answered
        assert f"127.0.0.1:{held}: bind: address already in use" in server.log_tail(10**6)
    finally:
        server.stop(timeout=5)


def test_the_s3_port_taken_is_not_retried(tmp_path: Path) -> None:
    """The S3 port is the operator's (`LGSP_S3_PORT`): weed exiting on it is an error to
    report, not a reason to move."""
    server = SeaweedServer(tmp_path, s3_port=41000, access_key="LGSPTEST", secret_key="x" * 30)
    server.ports = dict(zip(seaweed.INTERNAL_PORTS, range(40000, 40007), strict=True))
    server.log_path.write_text("F1130 filer.go:461 failed to listen on port 41000: "
                               "listen tcp 127.0.0.1:41000: bind: address already in use\n")
    error = server._exited(1)
    assert type(error) is SeaweedError and "41000" in str(error)
    with server.log_path.open("a") as log:
        log.write("listen tcp 127.0.0.1:40005: bind: address already in use\n")
    assert isinstance(server._exited(1), seaweed.InternalPortTaken)
