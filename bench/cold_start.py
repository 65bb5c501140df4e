"""P5 (R-PROP-5): cold start, the import of the Lambda entry module (`import app`) in a
fresh interpreter, against `import boto3` alone, which every Python function talking to
AWS pays anyway.

Each sample is a new interpreter in the repository root with this environment; it reports
the time of the import itself (`perf_counter` around it, so the interpreter's own start,
identical for both, does not dilute the ratio), and the whole process wall time is kept
beside it. Samples alternate app / boto3.

`app` loads only the route declarations and their wire models; each handler imports its
use case on its first call. So the report also times, informationally, what a cold
`GET /v1/inbox` on AWS imports before its first backend request (`app`, the settings, the
authentication, the inbox use case, the DynamoDB and S3 adapters, which bring boto3).
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from bench.common import median, result, rounded
from infra.local.launcher import ROOT

WHAT = "cold start: `import app` vs `import boto3` alone"
PROBE = ("import time; t = time.perf_counter(); import {module}; "
         "print(time.perf_counter() - t)")
FIRST_INBOX_CALL = ("app, chalicelib.bootstrap, chalicelib.services.auth, "
                    "chalicelib.services.receive, chalicelib.adapters.table_dynamo, "
                    "chalicelib.adapters.objects_s3")


def sample(module: str) -> tuple[float, float]:
    """(seconds of the import, seconds of the whole interpreter run)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def heaviest(module: str = "app", top: int = 8) -> dict[str, dict[str, float]]:
    """Where the import time goes (`-X importtime`, cumulative): the entry module's direct
    imports and the third-party packages, slowest first; what to look at if it grows."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         cwd=ROOT, check=True, capture_output=True, text=True)
    rows: list[tuple[str, float, int]] = []  # (module, cumulative ms, nesting depth)
    for line in out.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            rows.append((name.strip(), int(parts[1]) / 1000, depth))
    direct = sorted((r for r in rows if r[2] == 1 and not r[0].startswith("__")),
                    key=lambda r: -r[1])
    packages: dict[str, float] = {}
    for name, ms, depth in rows:
        root = name.split(".")[0]
        if root not in ("chalicelib", module) and depth >= 1 and not root.startswith("__"):
            packages[root] = max(packages.get(root, 0.0), ms)
    third = sorted(packages.items(), key=lambda kv: -kv[1])[:top]
    return {"direct_imports_ms": {name: round(ms, 1) for name, ms, _ in direct[:top]},
            "packages_ms": {m: round(ms, 1) for m, ms in third}}


def run(samples: int = 7) -> dict[str, Any]:
    raw: dict[str, list[tuple[float, float]]] = {"app": [], "boto3": [],
                                                   FIRST_INBOX_CALL: []}
    for _ in range(samples):
        for module, samples_of in raw.items():
            samples_of.append(sample(module))
    app_s = median([i for i, _ in raw["app"]])
    boto_s = median([i for i, _ in raw["boto3"]])
    inbox_s = median([i for i, _ in raw.pop(FIRST_INBOX_CALL)])
    return result("P5", WHAT, hub=app_s * 1000, baseline=boto_s * 1000, unit="ms",
                  ratio=app_s / boto_s, direction="lower is better", target=1.5,
                  met=app_s / boto_s <= 1.5, samples=samples,
                  process_ms_median={m: round(median([w for _, w in r]) * 1000, 1)
                                     for m, r in raw.items()},
                  raw_import_ms={m: rounded([i * 1000 for i, _ in r], 1)
                                 for m, r in raw.items()},
                  first_inbox_call_imports_ms=round(inbox_s * 1000, 1),
                  first_inbox_call_ratio_to_boto3=round(inbox_s / boto_s, 2),
                  heaviest_imports_of_app=heaviest())
