"""Start a single-machine host (`python -m infra.local.host`) in a subprocess on free
loopback ports with its own `var/`, and stop it: for end-to-end tests and benchmarks.
`host_beside` starts another host process sharing a running one's `var/` and store, and
`host_elsewhere` one with a `var/` of its own as on another machine (R-PROP-6: several
processes acting as one hub)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from infra.local.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LocalHub:
    url: str
    var: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None  # default: `{var}-host.log` beside `var`; one per process

    @property
    def log_file(self) -> Path:
        return self.log_path or self.var.parent / f"{self.var.name}-host.log"

    @property
    def demo(self) -> bool:
        """Demo mode (the default) seeds the apps of `demo-credentials.json`."""
        return self.env.get("LGSP_MODE", "demo") == "demo"

    @property
    def apps(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = json.loads((self.var / "demo-credentials.json").read_text())
        return list(data["apps"])

    def start(self, deadline_s: float = 120) -> None:
        log = open(self.log_file, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "infra.local.host"], cwd=ROOT,
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"host exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(f"{self.url}/v1/health", timeout=1).status_code == 200 and \
                        (not self.demo or (self.var / "demo-credentials.json").exists()):
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)  # readiness polling, bounded by the deadline
        self.stop()
        raise RuntimeError(f"host not ready in {deadline_s} s: {self.log()}")

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def log(self) -> str:
        path = self.log_file
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def host_in(var: Path, **settings: str) -> LocalHub:
    """A host (not started) keeping its data under `var`, on free ports, with extra
    `LGSP_*` settings."""
    port = free_port()
    env = {**os.environ, "LGSP_PORT": str(port), "LGSP_S3_PORT": str(free_port()),
           "LGSP_VAR_DIR": str(var), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'client'}",
           **settings}
    return LocalHub(f"http://127.0.0.1:{port}", var, env)


def host_beside(first: LocalHub, **settings: str) -> LocalHub:
    """A second host (not started) on its own free port sharing `first`'s `var/` (secrets,
    SQLite file, WebSocket management key) and attached to the store `first` runs
    (`LGSP_S3_EMBEDDED=false`, same `LGSP_S3_PORT`): it neither seeds demo units again nor
    stops that store. Its management endpoint is its own port, which the connections it
    holds record, so either host can push to them. Start it once `first` is ready."""
    port = free_port()
    env = {**first.env, "LGSP_PORT": str(port), "LGSP_S3_EMBEDDED": "false",
           "LGSP_WS_ENDPOINT": f"http://127.0.0.1:{port}/ws", **settings}
    log = first.var.parent / f"{first.var.name}-host-{port}.log"
    return LocalHub(f"http://127.0.0.1:{port}", first.var, env, log_path=log)


# What an operator copies to every machine of the hub (docs/deploy.md, on-prem topology).
MACHINE_SECRETS = ("master.key.json", "s3-credentials.json", "ws-credentials.json",
                   "demo-credentials.json")


def host_elsewhere(first: LocalHub, var: Path, **settings: str) -> LocalHub:
    """A host (not started) as on another machine: a `var/` of its own given copies of
    `first`'s secrets (the master keyring, the store's and the management API's keys, and
    in demo mode the demo credentials, so it seeds nothing), on `first`'s table and store
    settings (attached: `LGSP_S3_EMBEDDED=false`), on its own port. Start it once `first`
    is ready."""
    var.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in MACHINE_SECRETS:
        if (first.var / name).exists():
            shutil.copyfile(first.var / name, var / name)
            (var / name).chmod(0o600)
    port = free_port()
    env = {**first.env, "LGSP_VAR_DIR": str(var), "LGSP_PORT": str(port),
           "LGSP_S3_EMBEDDED": "false", "LGSP_WS_ENDPOINT": f"http://127.0.0.1:{port}/ws",
           **settings}
    return LocalHub(f"http://127.0.0.1:{port}", var, env)
