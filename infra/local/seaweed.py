"""SeaweedFS as the local S3-compatible store: one `weed server` process, loopback only.

Everything lives under `data_dir`: volumes, filer and master state, the S3 identities
file (0600), the chosen internal ports (reused on restart), `weed.log`, `weed.pid` and
`.owner.lock`. The S3 API accepts only requests signed with the one configured key pair;
the filer's own HTTP port serves objects without S3 auth, which is why every port is
bound to 127.0.0.1.

The store never outlives its owner unnoticed: it gets SIGTERM when the owning process
dies, however it dies (Linux's parent-death signal, `processes.spawn_tied`); and since a
starting owner holds `.owner.lock` (a second live owner is refused), any `weed server`
still running on the same folder is a leftover of a dead owner, stopped before a new one
starts (SIGTERM, SIGKILL after `stop_timeout`). The S3 port held by anything else is
reported with the pid and command holding it; an internal port taken between its choice
and weed's listen (something else bound it first) makes weed exit, and the store starts
again on new internal ports (`PORT_ATTEMPTS` in all).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.local.processes import (
    LOOPBACK,
    free_ports,
    listener_of,
    port_is_free,
    spawn_tied,
)
from infra.local.seaweed_process import (
    PID_FILE,
    InternalPortTaken,
    SeaweedError,
    StoreInUseError,
    find_weed,
    remove_stale_sockets,
    stop_stores_on,
)

log = logging.getLogger("lgsp.seaweed")

INTERNAL_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc",
                  "s3_grpc")
# Create one volume per bucket instead of 7 (read from master.toml in the working dir).
MASTER_TOML = "[master.volume_growth]\ncopy_1 = 1\n"
LOCK_FILE = ".owner.lock"
_PORT_TAKEN = re.compile(r"listen tcp [\d.]+:(\d+): bind: address already in use")
PORT_ATTEMPTS = 3  # starts with new internal ports when one was taken meanwhile


class SeaweedServer:
    """Start and stop `weed server` (master, volume, filer, S3) for one data folder.

    Data persists across stop/start on the same `data_dir`. Usable as a context manager.
    """

    # memory_limit_mb (GOMEMLIMIT): the filer alone holds ~210 MiB of Go heap at start
    # (leveldb memtables 128, log buffers 80), so 256 left ~50 MiB for upload churn and the GC
    # ran non-stop: a 256 MiB S3 multipart upload (8 MiB x 4) took 3.2-3.5 s and 5.1 s of weed
    # CPU; at 512 it takes 1.8 s and 2.5 s CPU (2 cores, medians of 7). RSS after transfers is
    # ~360 MiB at 512 vs ~130 at 256 and ~670 uncapped; 384 gave only 2.5 s.
    def __init__(self, data_dir: Path, *, s3_port: int, access_key: str, secret_key: str,
                 weed_binary: str | None = None, volume_size_limit_mb: int = 128,
                 memory_limit_mb: int = 512, start_timeout: float = 60.0,
                 stop_timeout: float = 30.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.s3_port = s3_port
        self.access_key = access_key
        self.secret_key = secret_key
        self.weed_binary = weed_binary
        self.volume_size_limit_mb = volume_size_limit_mb
        self.memory_limit_mb = memory_limit_mb
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.ports: dict[str, int] = {}
        self.port_wait_seconds = 75.0  # longer than a connection's TIME_WAIT (60 s)
        self._proc: subprocess.Popen[bytes] | None = None
        self._parent: threading.Event | None = None  # set once weed has exited
        self._lock: int | None = None
        self._log_start = 0  # where this start's lines begin in weed.log

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _write_private(self, name: str, text: str) -> Path:
        """Write `name` in data_dir with mode 0600 (it may hold credentials)."""
        path = self.data_dir / name
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        tmp.replace(path)
        return path

    def _write_s3_config(self) -> Path:
        """One identity with every action: anonymous and wrongly signed requests fail."""
        identity = {"name": "lgsp",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
        return self._write_private("s3-identities.json", json.dumps({"identities": [identity]}))

    def _saved_ports(self) -> dict[str, int]:
        saved = self.data_dir / "ports.json"
        if not saved.exists():
            return {}
        ports: dict[str, int] = json.loads(saved.read_text())
        return ports

    def _choose_ports(self, *, fresh: bool = False) -> dict[str, int]:
        """The internal ports of the last run if still free (stable master state), else
        (or when `fresh`) new ones."""
        saved = self.data_dir / "ports.json"
        if not fresh and (ports := self._saved_ports()):
            values = [ports.get(name, 0) for name in INTERNAL_PORTS]
            if (all(values) and self.s3_port not in values
                    and all(port_is_free(p) for p in values)):
                return ports
        chosen = dict(zip(INTERNAL_PORTS,
                          free_ports(len(INTERNAL_PORTS), frozenset({self.s3_port})),
                          strict=True))
        saved.write_text(json.dumps(chosen))
        return chosen

    def command(self, weed: str, s3_config: Path) -> list[str]:
        """The `weed server` command line: loopback only, small volumes, no telemetry."""
        p = self.ports
        return [
            weed, "server", f"-dir={self.data_dir}",
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
            "-master.electionTimeout=1s", "-master.telemetry=false",
            f"-master.volumeSizeLimitMB={self.volume_size_limit_mb}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.max=0", "-volume.preStopSeconds=0",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
            "-s3", f"-s3.port={self.s3_port}", f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.iam=false",
            "-s3.cacheCapacityMB=0", f"-s3.config={s3_config}",
        ]

    def start(self) -> None:
        """Start SeaweedFS and return once a signed ListBuckets succeeds and a volume
        server is registered (so uploads work); raise `SeaweedError` otherwise
        (`StoreInUseError` when another live process runs it on `data_dir`).

        weed runs with only GOMEMLIMIT in its environment (it caps the Go heap, about half
        the RSS of an uncapped weed after large transfers; no credentials or proxies of
        this process leak in).
        """
        if self.running:
            return
        weed = find_weed(self.weed_binary)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._claim()
        try:
            self._stop_leftovers()
            self._check_port()
            s3_config = self._write_s3_config()
            (self.data_dir / "master.toml").write_text(MASTER_TOML)
            self.ports = self._choose_ports()
            for attempt in range(1, PORT_ATTEMPTS + 1):
                try:
                    self._spawn(weed, s3_config)
                    self._wait_ready()
                    return
                except InternalPortTaken as taken:
                    if attempt == PORT_ATTEMPTS:
                        raise SeaweedError(f"{taken}, {attempt} times:\n"
                                           f"{self.log_tail()}") from taken
                    log.warning("%s; starting SeaweedFS again on other ports", taken)
                    self._reap()
                    self.ports = self._choose_ports(fresh=True)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, weed: str, s3_config: Path) -> None:
        with self.log_path.open("ab") as out:
            self._log_start = out.tell()
            self._proc, self._parent = spawn_tied(
                self.command(weed, s3_config), cwd=self.data_dir,
                env={"GOMEMLIMIT": f"{self.memory_limit_mb}MiB"},
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        (self.data_dir / PID_FILE).write_text(f"{self._proc.pid}\n")

    def _exited(self, code: int) -> SeaweedError:
        """Why weed exited while starting: `InternalPortTaken` when its log says another
        process listened first on an internal port (not the S3 port: that one is ours)."""
        with self.log_path.open("rb") as log_file:
            log_file.seek(self._log_start)
            said = log_file.read().decode(errors="replace")
        taken = {int(port) for port in _PORT_TAKEN.findall(said)} & set(self.ports.values())
        if taken:
            return InternalPortTaken(f"weed exited with code {code}: its internal port "
                                     f"{min(taken)} was taken before it listened there "
                                     f"(log {self.log_path})")
        return SeaweedError(f"weed exited with code {code}; log {self.log_path}:\n"
                            f"{self.log_tail()}")

    def _claim(self) -> None:
        """Hold `.owner.lock` while this object runs the store: two SeaweedFS processes
        on one data folder would corrupt it (the lock goes with the process if it dies)."""
        fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreInUseError(f"another process already runs SeaweedFS on "
                                  f"{self.data_dir}") from None
        self._lock = fd

    def _stop_leftovers(self) -> None:
        """Stop any `weed server` still running on our folder (we hold its lock, so its
        owner is dead) and clean what it left: its Unix sockets, the pid file."""
        ports = stop_stores_on(self.data_dir, self.stop_timeout)
        remove_stale_sockets({self.s3_port, *self._saved_ports().values(), *ports})
        (self.data_dir / PID_FILE).unlink(missing_ok=True)

    def _check_port(self) -> None:
        """Refuse a port another process listens on. A port held only by connections
        (one that used it as its own end, now closing: TIME_WAIT lasts 60 s on Linux, and
        blocks a new listener even with SO_REUSEADDR) is waited for, `port_wait_seconds`
        at most: after a crash, the clients of the store that died are such connections."""
        deadline = time.monotonic() + self.port_wait_seconds
        while not port_is_free(self.s3_port):
            holder = listener_of(self.s3_port)
            if holder is None and time.monotonic() < deadline:
                log.info("S3 port %d is held by closing connections: waiting", self.s3_port)
                time.sleep(0.5)  # polling the kernel, bounded by the deadline
                continue
            who = (f"pid {holder.pid} ({holder.command})" if holder is not None
                   else f"connections that did not close in {self.port_wait_seconds:.0f} s, "
                        f"or a process this user cannot see")
            raise SeaweedError(f"S3 port {self.s3_port} on {LOOPBACK} is already in use by "
                               f"{who}: stop that process, or give the store another port "
                               f"(LGSP_S3_PORT)")

    def _wait_ready(self) -> None:
        s3 = boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1, "mode": "standard"},
                          connect_timeout=1, read_timeout=3))
        deadline = time.monotonic() + self.start_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise self._exited(self._proc.returncode)
            try:
                s3.list_buckets()
                if self._volume_registered():
                    return
                last_error = "no volume server registered with the master yet"
            except (BotoCoreError, ClientError) as exc:
                last_error = str(exc)
            time.sleep(0.2)  # readiness polling, bounded by the deadline
        raise SeaweedError(f"SeaweedFS not ready after {self.start_timeout:.0f} s "
                           f"({last_error}); log {self.log_path}:\n{self.log_tail()}")

    def _volume_registered(self) -> bool:
        """Whether the master has elected itself and sees a volume server with capacity."""
        url = f"http://{LOOPBACK}:{self.ports['master']}/dir/status"
        try:
            with urlopen(url, timeout=2) as response:
                status: dict[str, Any] = json.load(response)
        except (URLError, OSError, ValueError):
            return False
        return int(status.get("Topology", {}).get("Max", 0)) > 0

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds
        (default `stop_timeout`; SeaweedFS usually takes ~16 s to exit cleanly); then
        give up the data folder."""
        self._reap(timeout)
        if self._lock is not None:
            os.close(self._lock)  # after the store has exited
            self._lock = None

    def _reap(self, timeout: float | None = None) -> None:
        """Stop weed if it runs (SIGTERM, then SIGKILL after `timeout`) and clean what it
        leaves: its Unix sockets, the pid file. The data folder stays claimed."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._parent is not None:
            self._parent.set()  # weed has exited: its parent thread may end
        remove_stale_sockets({self.s3_port, *self.ports.values()})
        (self.data_dir / PID_FILE).unlink(missing_ok=True)

    def log_tail(self, size: int = 3000) -> str:
        """The end of `weed.log`, for error messages."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - size))
            return log.read().decode(errors="replace")
