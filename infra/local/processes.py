"""Processes of the single-machine host as Linux shows them in /proc: a child that dies
with its parent, which process runs on a data folder, which one holds a port, which ports
are free, and how to stop one that is not our child.

Used for the embedded SeaweedFS (`seaweed`): it runs in a session of its own (so Ctrl-C
reaches only the host, which stops it in order), and a host killed outright must neither
leave it running nor be unable to start again because of it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import logging
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("lgsp.processes")

PROC = Path("/proc")
LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_LISTEN = "0A"
EPHEMERAL_RANGE = PROC / "sys/net/ipv4/ip_local_port_range"
LISTEN_FLOOR = 10000  # below it: well-known and registered services
RESERVATIONS = Path(tempfile.gettempdir()) / f"lgsp-ports-{os.getuid()}"
RESERVED_SECONDS = 600.0


@dataclass(frozen=True)
class Process:
    pid: int
    args: tuple[str, ...]

    @property
    def command(self) -> str:
        """The command line on one line, shortened for a message."""
        text = " ".join(" ".join(self.args).split())
        return text if len(text) <= 240 else text[:237] + "..."


def process(pid: int) -> Process | None:
    """The live process `pid` (not a zombie), or None."""
    entry = PROC / str(pid)
    try:
        raw = (entry / "cmdline").read_bytes()
        state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    if state in ("Z", "X") or not raw:
        return None
    return Process(pid, tuple(os.fsdecode(arg) for arg in raw.rstrip(b"\0").split(b"\0")))


def processes() -> Iterator[Process]:
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := process(int(entry.name))) is not None:
            yield found


def _parent_death_signal() -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to SIGTERM the child when its parent dies (prctl
    PR_SET_PDEATHSIG); None elsewhere. Prepared in the parent, so the child after fork
    only makes the call."""
    if not sys.platform.startswith("linux"):
        return None
    libc: Any = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()

    def preexec() -> None:
        if prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the call took effect
            raise ChildProcessError("parent gone before the child started")

    return preexec


def spawn_tied(args: Sequence[str], **popen: Any) -> tuple[subprocess.Popen[bytes],
                                                          threading.Event]:
    """Start `args` so that it gets SIGTERM when this process dies, however it dies
    (SIGKILL and the out-of-memory killer included), on Linux.

    Linux sends the parent-death signal when the *thread* that forked the child exits, not
    the process; so the fork happens on a thread of its own that lives until the returned
    event is set (set it once the child has exited) or the process ends. Elsewhere the
    child is started plainly (see the pid file and `stop_process` for the rest)."""
    started: dict[str, Any] = {}
    ready, release = threading.Event(), threading.Event()

    def parent() -> None:
        try:
            # preexec_fn and threads: the child runs only the prepared libc call and
            # getppid between fork and exec (no lock, import, allocation-heavy or logging
            # code), which is what the warning is about.
            started["proc"] = subprocess.Popen(
                args, preexec_fn=_parent_death_signal(), **popen)  # noqa: PLW1509
        except BaseException as exc:  # handed to the caller's thread
            started["error"] = exc
        ready.set()
        if "proc" in started:
            release.wait()

    threading.Thread(target=parent, name="store-parent", daemon=True).start()
    ready.wait()
    if "error" in started:
        raise started["error"]
    return started["proc"], release


def stop_process(pid: int, timeout: float, kill_after: float = 5.0) -> bool:
    """SIGTERM `pid` (not necessarily our child), SIGKILL if it has not exited within
    `timeout` seconds; True once it is gone. PermissionError if it is another user's."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, kill_after)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        end = time.monotonic() + wait
        while process(pid) is not None:
            if time.monotonic() > end:
                break
            time.sleep(0.05)  # not our child: poll, bounded by the deadline
        else:
            return True
    return False


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on TCP `port`, any address, IPv4 or IPv6."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == _LISTEN and \
                        int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def listener_of(port: int) -> Process | None:
    """The process listening on TCP `port`, if this user may see it."""
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not inodes:
        return None
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return process(int(entry.name))
    return None


def port_is_free(port: int) -> bool:
    """Whether a server could listen on `port` (SO_REUSEADDR, as Go sets it: connections
    in TIME_WAIT from a previous run do not block the port)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def listening_range() -> range:
    """Where to choose ports for our own listeners: below the kernel's ephemeral range
    (`ip_local_port_range`), from which it gives every outgoing connection its local port
    and every `bind(port 0)` its port. A port chosen there can be taken before the server
    that was meant to listen on it does (SeaweedFS's own services connect to each other
    while it starts); one chosen below cannot. Empty when the range leaves no room."""
    try:
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    return range(LISTEN_FLOOR, low) if low - LISTEN_FLOOR >= 1024 else range(0)


_choosing = threading.Lock()


@contextlib.contextmanager
def _reservations() -> Iterator[Path | None]:
    """The folder of port reservations, held by this thread alone among every process of
    this user choosing ports. A reservation is a file named after the port: the port is
    left to whoever chose it for `RESERVED_SECONDS` (until its server listens, and while
    a hub stopped in a test is started again on it). None, and ports chosen without
    reservations, when the folder is not this user's own directory (another user of
    /tmp made it first)."""
    folder = RESERVATIONS
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = folder.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        log.warning("%s is not this user's own folder: ports are chosen without "
                    "reservations", folder)
        with _choosing:
            yield None
        return
    with _choosing, (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield folder


def free_ports(count: int, exclude: frozenset[int] = frozenset()) -> list[int]:
    """`count` distinct loopback ports free right now, at random in `listening_range()`
    (in the ephemeral range, from the kernel, when that one is empty), none of them
    chosen in the last `RESERVED_SECONDS` by this process or another (`_reservations`)."""
    candidates = listening_range()
    with _reservations() as reserved, contextlib.ExitStack() as stack:
        now = time.time()
        ports: list[int] = []
        for _ in range(1000 * count):
            if len(ports) == count:
                break
            s = socket.socket()
            try:
                s.bind((LOOPBACK, random.choice(candidates) if candidates else 0))
            except OSError:
                s.close()
                continue  # in use
            port = int(s.getsockname()[1])
            if port in exclude or (reserved and _reserved(reserved / str(port), now)):
                s.close()
                continue
            stack.enter_context(s)  # held until all are chosen: no port twice
            ports.append(port)
        if len(ports) < count:
            raise OSError(f"no {count} free loopback ports found")
        if reserved:
            for port in ports:
                (reserved / str(port)).touch()  # created, or its time renewed
            _drop_lapsed(reserved, now)
        return ports


def _reserved(reservation: Path, now: float) -> bool:
    try:
        return now - reservation.stat().st_mtime < RESERVED_SECONDS
    except FileNotFoundError:
        return False


def _drop_lapsed(reserved: Path, now: float) -> None:
    """Remove the reservations older than `RESERVED_SECONDS` (the folder holds only the
    recent ones)."""
    for entry in reserved.iterdir():
        if entry.name.isdigit() and not _reserved(entry, now):
            entry.unlink(missing_ok=True)


def free_port() -> int:
    """One loopback port free right now (`free_ports`)."""
    return free_ports(1)[0]
