"""The embedded store never outlives its host unnoticed: a child started with
`spawn_tied` dies with the process that started it, a `weed server` left on our data
folder by a dead host is stopped before a new one starts (and nothing else is), and a port
held by another program is reported with its pid and command. Fake stores here are
Python processes whose command line reads `…/weed … server -dir=…`; nothing sleeps."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.processes import free_ports, listener_of, process, stop_process
from infra.local.seaweed import LOCK_FILE, SeaweedServer
from infra.local.seaweed_process import (
    PID_FILE,
    SOCKET_DIR,
    SeaweedError,
    StoreInUseError,
    remove_stale_sockets,
    stop_stores_on,
    stores_on,
)

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0


def gone_within(pid: int, seconds: float = WAIT) -> bool:
    end = time.monotonic() + seconds
    while process(pid) is not None:
        if time.monotonic() > end:
            return False
        time.sleep(0.02)  # not our child: poll its /proc entry, bounded
    return True


@pytest.fixture()
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts, killed afterwards whatever happened."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


def fake_store(started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path, *,
               s3_port: int = 0, ignore_term: bool = False) -> int:
    """A process that looks like `weed server -dir=data_dir` in /proc, ready on return."""
    code = ("import signal, sys, time\n"
            + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else "")
            + "print('ready', flush=True)\ntime.sleep(300)\n")
    proc = subprocess.Popen([str(tmp_path / "bin" / "weed"), "-c", code, "server",
                             f"-dir={data_dir}", f"-s3.port={s3_port}"],
                            executable=sys.executable, stdout=subprocess.PIPE)
    started.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc.pid


def test_a_tied_child_dies_with_its_parent_even_if_the_calling_thread_ended(
        started: list[subprocess.Popen[bytes]]) -> None:
    """Linux sends the parent-death signal when the thread that forked exits: the child
    must survive the end of the thread that asked for it, and die with the process."""
    host = subprocess.Popen([sys.executable, "-c", (
        "import os, subprocess, sys, threading, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from infra.local.processes import spawn_tied\n"
        "out = {}\n"
        "def ask():\n"
        "    out['tid'] = threading.get_native_id()\n"
        "    out['proc'] = spawn_tied(['sleep', '300'])[0]\n"
        "caller = threading.Thread(target=ask)\n"
        "caller.start(); caller.join()\n"
        "while os.path.exists(f\"/proc/self/task/{out['tid']}\"):  # gone from the kernel too\n"
        "    time.sleep(0.01)\n"
        "try:\n"
        "    out['proc'].wait(timeout=0.5)  # a signal at the thread's exit lands in ms\n"
        "    print('died with the thread', flush=True)\n"
        "except subprocess.TimeoutExpired:\n"
        "    print(out['proc'].pid, flush=True)\n"
        "time.sleep(300)\n")], stdout=subprocess.PIPE)
    started.append(host)
    assert host.stdout is not None
    line = host.stdout.readline()
    assert line.strip().isdigit(), line
    child = int(line)
    assert process(child) is not None
    host.kill()  # SIGKILL: the host runs no code of its own on the way out
    host.wait()
    assert gone_within(child)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    folder = (tmp_path / "seaweed").resolve()
    folder.mkdir()
    return folder


def test_a_leftover_store_of_our_folder_is_stopped_and_its_sockets_removed(
        started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path) -> None:
    port = free_ports(1)[0]
    recorded = fake_store(started, tmp_path, data_dir, s3_port=port)
    (data_dir / PID_FILE).write_text(f"{recorded}\n")
    unrecorded = fake_store(started, tmp_path, data_dir)  # found without the pid file
    stale = SOCKET_DIR / f"seaweedfs-s3-{port}.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(stale))
    assert {p.pid for p in stores_on(data_dir)} == {recorded, unrecorded}

    ports = stop_stores_on(data_dir, timeout=WAIT)
    remove_stale_sockets(ports)

    assert port in ports
    assert process(recorded) is None and process(unrecorded) is None
    assert not stale.exists()


def test_a_leftover_deaf_to_sigterm_is_killed_after_the_bound(
        started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path) -> None:
    deaf = fake_store(started, tmp_path, data_dir, ignore_term=True)
    stop_stores_on(data_dir, timeout=0.2)
    assert process(deaf) is None


def test_other_folders_stores_and_reused_pids_are_left_alone(
        started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path) -> None:
    other = fake_store(started, tmp_path, data_dir.parent / "other-seaweed")
    prefix = fake_store(started, tmp_path, Path(f"{data_dir}-2"))  # a longer path
    unrelated = subprocess.Popen(["sleep", "300"])  # the pid file's pid, reused
    started.append(unrelated)
    (data_dir / PID_FILE).write_text(f"{unrelated.pid}\n")
    assert stores_on(data_dir) == []
    assert stop_stores_on(data_dir, timeout=WAIT) == set()
    assert all(process(pid) is not None for pid in (other, prefix, unrelated.pid))


def test_a_store_of_a_live_owner_is_neither_stopped_nor_doubled(
        started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path) -> None:
    live = fake_store(started, tmp_path, data_dir)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the live owner holds the folder
        server = SeaweedServer(data_dir, s3_port=free_ports(1)[0], access_key="AK",
                               secret_key="secret")
        with pytest.raises(StoreInUseError):
            server.start()
        assert process(live) is not None
    finally:
        os.close(fd)


def test_a_port_held_by_another_program_is_reported_with_its_pid_and_command(
        started: list[subprocess.Popen[bytes]], data_dir: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import socket, time\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
        "print(s.getsockname()[1], flush=True)\n"
        "time.sleep(300)\n")], stdout=subprocess.PIPE)
    started.append(holder)
    assert holder.stdout is not None
    port = int(holder.stdout.readline())
    found = listener_of(port)
    assert found is not None and found.pid == holder.pid
    server = SeaweedServer(data_dir, s3_port=port, access_key="AK", secret_key="secret")
    with pytest.raises(SeaweedError) as refused:
        server.start()
    message = str(refused.value)
    assert f"pid {holder.pid}" in message and "socket.socket()" in message
    assert "LGSP_S3_PORT" in message
    assert not server.running
    assert process(holder.pid) is not None  # reported, never stopped


def test_stop_process_of_a_process_already_gone_is_done(
        started: list[subprocess.Popen[bytes]], tmp_path: Path, data_dir: Path) -> None:
    pid = fake_store(started, tmp_path, data_dir)
    assert stop_process(pid, timeout=WAIT)
    assert stop_process(pid, timeout=WAIT)  # twice: nothing left to stop
