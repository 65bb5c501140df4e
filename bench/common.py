"""What the R-PROP-5 benchmarks share: one result shape, the machine, a host to run
against, and a boto3 client on that host's own store (the raw baseline).

Every figure is a ratio of two things measured in the same run, because the machines are
shared and noisy; the medians and the raw numbers travel with it so a reader can judge
the spread.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.local.launcher import LocalHub, host_in
from lgsp_client.api import LgspClient

SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"
MiB = 1024 * 1024


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def rounded(values: Sequence[float], digits: int = 4) -> list[float]:
    return [round(v, digits) for v in values]


def timed(fn: Callable[[], object]) -> float:
    """Seconds `fn` took (perf_counter: monotonic, the finest clock there is)."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (the host's SeaweedFS, for instance)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def result(pid: str, what: str, *, hub: float, baseline: float, unit: str, ratio: float,
           direction: str, target: float, met: bool, **extra: Any) -> dict[str, Any]:
    """The one shape every benchmark returns, so the table and the JSON need no special
    cases: `direction` says whether a higher or a lower ratio is better."""
    return {"id": pid, "what": what, "hub": round(hub, 4), "baseline": round(baseline, 4),
            "unit": unit, "ratio": round(ratio, 3), "direction": direction,
            "target": target, "met": met, "status": "ok", **extra}


def skipped(pid: str, what: str, reason: str) -> dict[str, Any]:
    """A benchmark that could not run here (e.g. no sshd): reported, never fatal."""
    return {"id": pid, "what": what, "status": "skipped", "reason": reason, "met": None}


def machine() -> dict[str, Any]:
    """Cores and memory as the kernel reports them, since figures depend on both."""
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def client_for(hub: LocalHub, unit: str) -> LgspClient:
    app = next(a for a in hub.apps if a["unit"] == unit)
    return LgspClient(hub.url, app["access_key"], app["secret_key"])


@contextmanager
def running_hub(hub: LocalHub | None = None, **settings: str) -> Iterator[LocalHub]:
    """The given running host, or a fresh `make run` host in a temporary folder (real
    SeaweedFS and SQLite, or the table `settings` name), stopped afterwards."""
    if hub is not None:
        yield hub
        return
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-") as tmp:
        started = host_in(Path(tmp) / "var", **settings)
        started.start()
        try:
            yield started
        finally:
            started.stop()


def s3_settings(hub: LocalHub) -> dict[str, str]:
    """Endpoint and credentials of the host's SeaweedFS (written by the host on start)."""
    creds = json.loads((hub.var / "s3-credentials.json").read_text())
    return {"endpoint": f"http://127.0.0.1:{hub.env['LGSP_S3_PORT']}",
            "access_key": creds["access_key"], "secret_key": creds["secret_key"],
            "bucket": hub.env.get("LGSP_BUCKET", "lgsp-exchange")}


def s3_client(hub: LocalHub, *, pool: int = 10) -> Any:
    """A boto3 S3 client on the host's store, configured like the hub's own (SigV4,
    path-style, us-east-1), with `pool` connections for parallel transfers."""
    import boto3
    from botocore.config import Config

    s3 = s3_settings(hub)
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    max_pool_connections=max(10, pool),
                    retries={"mode": "standard", "max_attempts": 3})
    return boto3.client("s3", endpoint_url=s3["endpoint"], region_name="us-east-1",
                        aws_access_key_id=s3["access_key"],
                        aws_secret_access_key=s3["secret_key"], config=config)
