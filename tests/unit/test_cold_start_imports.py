"""A cold start loads route declarations and wire models only (R-PROP-5, P5 in
docs/performance.md): the use cases, the adapters and the cryptography are imported by the
first call that needs them. Checked in a fresh interpreter, where nothing is cached."""

from __future__ import annotations

import json
import subprocess
import sys

from infra.local.launcher import ROOT

PROBE = ("import json, sys, app; print(json.dumps(sorted(m for m in sys.modules)))")


def _modules_after(statement: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_entry_module_loads_no_use_case_adapter_or_cryptography() -> None:
    loaded = _modules_after(PROBE)
    assert "chalicelib.api.exchange" in loaded  # routes are declared
    heavy = {m for m in loaded if m.startswith((
        "chalicelib.services", "chalicelib.adapters", "chalicelib.bootstrap",
        "chalicelib.config", "boto3", "botocore", "cryptography", "http_message_signatures",
        "jwt", "docx", "holidays"))}
    assert heavy == set()


def test_a_route_loads_its_use_case_when_first_called() -> None:
    loaded = _modules_after(
        "import json, sys, app\n"
        "from chalice.test import Client\n"
        "with Client(app.app) as c:\n"
        "    c.http.get('/v1/inbox')\n"
        "print(json.dumps(sorted(sys.modules)))")
    assert {"chalicelib.services.auth", "chalicelib.bootstrap"} <= loaded


def test_the_algorithm_names_are_those_the_hub_implements() -> None:
    """Pages name the algorithms without loading their implementations (above)."""
    from chalicelib.domain.algorithm_ids import NAMES
    from chalicelib.domain.algorithms import ALGORITHMS
    assert sorted(NAMES) == sorted(ALGORITHMS)
