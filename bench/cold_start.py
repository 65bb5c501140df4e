"""P5 (R-PROP-5): cold start, the import of the Lambda entry module (`import app`) in a
fresh interpreter, against `import boto3` alone, which every Python function talking to
AWS pays anyway; and P5b, the cold first request (below).

Each sample is a new interpreter in the repository root with this environment; it reports
the time of the import itself (`perf_counter` around it, so the interpreter's own start,
identical for both, does not dilute the ratio), and the whole process wall time is kept
beside it. Samples alternate app / boto3.

*Bytecode as the package ships it.* The Lambda package carries the compiled,
unchecked-hash `.pyc` of every module (`infra/aws/bytecode.py`), and `/var/task` is
read-only. So before sampling, every module the probes load (the hub's, the libraries',
the standard library's) is compiled the same way into a temporary `PYTHONPYCACHEPREFIX`,
and the rows are measured with it (and `PYTHONDONTWRITEBYTECODE=1`: nothing is written
between samples). Beside them, for information, the same probes with the hub's own
modules compiled from source at each start (what a package without bytecode pays for
`app.py` and `chalicelib/`; the libraries still compiled): `source_only`.

`app` loads only the route declarations and their wire models; each handler imports its
use case on its first call. So the report also times, informationally, what a cold
`GET /v1/inbox` on AWS imports before its first backend request (`app`, the settings, the
authentication, the inbox use case, the DynamoDB and S3 adapters, which bring boto3).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import median, result, rounded
from infra.local.launcher import ROOT

WHAT = "cold start: `import app` vs `import boto3` alone"
PROBE = ("import time; t = time.perf_counter(); import {module}; "
         "print(time.perf_counter() - t)")
FIRST_INBOX_CALL = ("app, chalicelib.bootstrap, chalicelib.services.auth, "
                    "chalicelib.services.inbox, chalicelib.adapters.table_dynamo, "
                    "chalicelib.adapters.objects_s3")


def sample(module: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds of the import, seconds of the whole interpreter run)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT,
                         check=True, capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - started


# Appended to a probe: the files of every module it loaded, as its last line.
LOADED_FILES = ("\nimport json as _json, sys as _sys\n"
                "print(_json.dumps({'files': sorted({getattr(m, '__file__', None) or '' "
                "for m in list(_sys.modules.values())} - {''})}))\n")
COMPILE = ("import json, py_compile, sys\n"
           "for f in json.load(sys.stdin):\n"
           "    py_compile.compile(f, doraise=True, "
           "invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n")


@contextmanager
def shipped_bytecode(probes: Sequence[tuple[str, dict[str, str], Sequence[str]]]
                     ) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Environments for the probes (code, environment, arguments) with bytecode as the
    package ships it, and with the hub's own modules compiled at each start: the first
    has every module the probes load compiled (unchecked hash) into a temporary
    `PYTHONPYCACHEPREFIX`, the second the same less `app.py` and `chalicelib/`."""
    files: set[str] = set()
    for code, env, args in probes:
        out, _ = _probe(code + LOADED_FILES, {**env, "PYTHONDONTWRITEBYTECODE": "1"}, *args)
        files.update(f for f in out["files"] if f.endswith(".py"))
    hub = {f for f in files if Path(f).resolve() == ROOT / "app.py"
           or Path(f).resolve().is_relative_to(ROOT / "chalicelib")}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-pyc-") as tmp:
        envs = []
        for name, chosen in (("shipped", files), ("source", files - hub)):
            prefix = str(Path(tmp, name))
            subprocess.run([sys.executable, "-X", f"pycache_prefix={prefix}", "-c", COMPILE],
                           input=json.dumps(sorted(chosen)), text=True, check=True,
                           capture_output=True)
            envs.append({"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"})
        yield envs[0], envs[1]


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
    modules = ("app", "boto3", FIRST_INBOX_CALL)
    probes = [(PROBE.format(module=m), dict(os.environ), ()) for m in modules]
    raw: dict[str, list[tuple[float, float]]] = {m: [] for m in (*modules, "source_only")}
    with shipped_bytecode(probes) as (shipped, source):
        for _ in range(samples):
            for module in modules:
                raw[module].append(sample(module, {**os.environ, **shipped}))
            raw["source_only"].append(sample("app", {**os.environ, **source}))
    app_s = median([i for i, _ in raw["app"]])
    boto_s = median([i for i, _ in raw["boto3"]])
    inbox_s = median([i for i, _ in raw.pop(FIRST_INBOX_CALL)])
    source_s = median([i for i, _ in raw["source_only"]])
    return result("P5", WHAT, hub=app_s * 1000, baseline=boto_s * 1000, unit="ms",
                  ratio=app_s / boto_s, direction="lower is better", target=1.5,
                  met=app_s / boto_s <= 1.5, samples=samples,
                  bytecode="as shipped: every module compiled, unchecked hash",
                  source_only={"hub": round(source_s * 1000, 1),
                               "ratio": round(source_s / boto_s, 3),
                               "what": "app.py and chalicelib/ compiled at each start"},
                  process_ms_median={m: round(median([w for _, w in r]) * 1000, 1)
                                     for m, r in raw.items()},
                  raw_import_ms={m: rounded([i * 1000 for i, _ in r], 1)
                                 for m, r in raw.items()},
                  first_inbox_call_imports_ms=round(inbox_s * 1000, 1),
                  first_inbox_call_ratio_to_boto3=round(inbox_s / boto_s, 2),
                  heaviest_imports_of_app=heaviest())


# P5b: the cold first request. A fresh interpreter imports `app` and hands its Lambda
# handler one API Gateway proxy event, exactly what Lambda does on a cold start; the
# request is signed beforehand by this process, so signing costs the probe nothing.
FIRST_REQUEST_WHAT = "cold first signed GET /v1/inbox vs `import boto3` + one client"
FIRST_REQUEST = """\
import time; started = time.perf_counter()
import json, os, sys
import app
headers = json.loads(sys.argv[1])
event = {"resource": "/v1/inbox", "path": "/v1/inbox", "httpMethod": "GET",
         "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None,
         "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/v1/inbox", "httpMethod": "GET",
                            "path": os.environ["LGSP_PUBLIC_PATH_PREFIX"] + "/v1/inbox",
                            "stage": "prod", "requestId": "cold-start-probe"}}
imported = time.perf_counter()
answer = app.app(event, None)
answered = time.perf_counter()
print(json.dumps({"status": answer["statusCode"], "body": answer["body"],
                  "import_s": imported - started, "total_s": answered - started,
                  "modules": sorted(sys.modules) if sys.argv[2:] == ["modules"] else None}))
"""
CLIENT_BASELINE = """\
import time; started = time.perf_counter()
import boto3
imported = time.perf_counter()
boto3.client("dynamodb", region_name="ap-southeast-1")
ended = time.perf_counter()
print('{"total_s": %r, "client_s": %r}' % (ended - started, ended - imported))
"""
HOST = "lgsp.example.gov.vn"


def first_request_environment(folder: Path) -> tuple[dict[str, str], Any]:
    """The production stage's settings (.chalice/config.json: https, `/prod`) on the
    embedded SQLite table in `folder` and an object store that this path never calls;
    the destination unit seeded with an app and 20 messages in its inbox. Returns the
    environment and the app's credentials."""
    from bench.inbox import seed  # messages from UNIT_A to UNIT_B's inbox
    from chalicelib import bootstrap
    from chalicelib.config import Settings
    from chalicelib.services import registry
    from tests.support.hub import UNIT_A, UNIT_B

    env = {"LGSP_TABLE_BACKEND": "sqlite", "LGSP_SQLITE_PATH": str(folder / "table.sqlite3"),
           "LGSP_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
           "LGSP_DEFAULT_SCHEME": "https", "LGSP_PUBLIC_PATH_PREFIX": "/prod",
           "LGSP_S3_ENDPOINT": "http://127.0.0.1:9", "LGSP_S3_ACCESS_KEY": "unused",
           "LGSP_S3_SECRET_KEY": "unused"}
    deps = bootstrap.build(Settings.from_env(env))
    try:
        for code in (UNIT_A, UNIT_B):
            registry.create_unit(deps, code, f"Đơn vị {code}")
        creds = registry.create_app(deps, UNIT_B, "cold start")
        seed(deps, 20)
    finally:
        deps.table.close()  # type: ignore[attr-defined]
    base = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
    return {**base, **env, "AWS_ACCESS_KEY_ID": "unused", "AWS_SECRET_ACCESS_KEY": "unused",
            "AWS_DEFAULT_REGION": "ap-southeast-1"}, creds


def _probe(code: str, env: dict[str, str], *args: str) -> tuple[dict[str, Any], float]:
    """What the probe printed (its last line, as JSON) and the process's wall time."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def first_request(env: dict[str, str], auth: Any, *, modules: bool = False
                  ) -> tuple[dict[str, Any], float]:
    """One cold probe answering a request signed now by `auth` (an `LgspAuth`): what it
    printed (with the names of every module loaded, if asked) and its wall time."""
    headers = {"Host": HOST, **auth.sign_headers("GET", f"https://{HOST}/prod/v1/inbox")}
    return _probe(FIRST_REQUEST, env, json.dumps(headers), *(["modules"] if modules else []))


def run_first_request(samples: int = 7) -> dict[str, Any]:
    """P5b: median of `samples` fresh interpreters each, alternating with the baseline,
    with bytecode as the package ships it; the hub with its own modules compiled at each
    start beside it (`source_only`)."""
    from lgsp_client.signing import LgspAuth

    raw: dict[str, list[float]] = {k: [] for k in (
        "hub", "hub_import", "hub_wall", "baseline", "baseline_wall", "baseline_client",
        "source_only")}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-p5b-") as tmp:
        env, creds = first_request_environment(Path(tmp))
        auth = LgspAuth(creds.access_key, creds.secret_key)
        headers = {"Host": HOST, **auth.sign_headers("GET", f"https://{HOST}/prod/v1/inbox")}
        probes = [(FIRST_REQUEST, env, [json.dumps(headers)]), (CLIENT_BASELINE, env, [])]
        with shipped_bytecode(probes) as (shipped, source):
            for _ in range(samples):
                hub, wall = _answered(first_request({**env, **shipped}, auth))
                raw["hub"].append(hub["total_s"] * 1000)
                raw["hub_import"].append(hub["import_s"] * 1000)
                raw["hub_wall"].append(wall * 1000)
                base, wall = _probe(CLIENT_BASELINE, {**env, **shipped})
                raw["baseline"].append(base["total_s"] * 1000)
                raw["baseline_client"].append(base["client_s"] * 1000)
                raw["baseline_wall"].append(wall * 1000)
                hub, _ = _answered(first_request({**env, **source}, auth))
                raw["source_only"].append(hub["total_s"] * 1000)
    med = {k: median(v) for k, v in raw.items()}
    # On AWS the function also builds its DynamoDB client, which the SQLite table here
    # needs none of: the row is the hub as AWS runs it, what the baseline's client
    # creation took added; the probe's own figure is beside it.
    aws = med["hub"] + med["baseline_client"]
    ratio = aws / med["baseline"]
    return result("P5b", FIRST_REQUEST_WHAT, hub=aws, baseline=med["baseline"],
                  unit="ms", ratio=ratio, direction="lower is better", target=1.5,
                  met=ratio <= 1.5, samples=samples,
                  with_dynamodb_client="the hub's figure includes the baseline's client "
                                       "creation, as on AWS",
                  without_a_client={"hub": round(med["hub"], 1),
                                    "ratio": round(med["hub"] / med["baseline"], 3)},
                  bytecode="as shipped: every module compiled, unchecked hash",
                  import_app_ms_median=round(med["hub_import"], 1),
                  source_only={"hub": round(med["source_only"] + med["baseline_client"], 1),
                               "ratio": round((med["source_only"] + med["baseline_client"])
                                              / med["baseline"], 3),
                               "what": "app.py and chalicelib/ compiled at each start"},
                  process_ms_median={"hub": round(med["hub_wall"], 1),
                                     "baseline": round(med["baseline_wall"], 1)},
                  process_ratio=round(med["hub_wall"] / med["baseline_wall"], 3),
                  raw_ms={k: rounded(v, 1) for k, v in raw.items()})


def _answered(probed: tuple[dict[str, Any], float]) -> tuple[dict[str, Any], float]:
    """The probe's answer, which must be the seeded inbox, or the row fails."""
    hub, _ = probed
    if hub["status"] != 200 or len(json.loads(hub["body"])["items"]) != 20:
        raise RuntimeError(f"the cold probe was answered {hub['status']}: {hub['body']}")
    return probed


if __name__ == "__main__":  # python -m bench.cold_start: both rows, as `make bench` shows them
    from bench.report import table

    print(table([run(), run_first_request()]))
