"""A PostgreSQL server in a folder of its own, for tests and for trying the hub on
PostgreSQL on one machine: Debian's `postgresql` (PostgreSQL 15, `make postgres` installs
it), started with `initdb` and `pg_ctl` on a free port, listening on loopback only.

The server refuses to run as root: when this process is root, the server's commands run
as the `postgres` user (which the package creates) on a folder it owns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.local.processes import free_port

BIN_DIRS = tuple(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
USER = "lgsp"


class PostgresMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Server:
    folder: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        """Stop the server (dropping every connection) and start it again on its port: what
        a database failover or a maintenance restart does to the hub's connections."""
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(self.folder / "data"),
                                        "-l", str(self.folder / "log"), "-m", "fast", "-w",
                                        "restart"]),
                       check=True, capture_output=True)


def _bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresMissing("PostgreSQL is not installed: run `make postgres` (Debian's "
                              "postgresql package)")
    return found


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def running(folder: Path | None = None) -> Iterator[Server]:
    """A fresh server in `folder` (default: a new folder under the system's temporary
    one, removed at the end), stopped at the end. As root, the folder must be reachable
    by the `postgres` user: a folder of its own under /tmp is."""
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="lgsp-pg-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(_as_server_user([_bin("initdb"), "-D", str(data), "-A", "trust", "-U",
                                    USER, "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    port = free_port()
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on "
               "-c max_connections=200")
    subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                                    str(folder / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield Server(folder, port)
    finally:
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(data), "-m", "fast",
                                        "stop"]), check=False, capture_output=True)
        if own:
            shutil.rmtree(folder, ignore_errors=True)
