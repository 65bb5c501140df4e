"""A cold start loads route declarations only (R-PROP-5, P5 in docs/performance.md): the
wire models (and pydantic), the use cases, the adapters and the cryptography are imported
by the first call that needs them. Checked in a fresh interpreter, where nothing is
cached."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import cold_start
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


def test_importing_the_entry_module_builds_no_wire_model() -> None:
    """Routes name their models (`WireModels`); pydantic and the schema modules are
    imported by the first call that parses, renders or describes one."""
    loaded = _modules_after(PROBE)
    models = {m for m in loaded if m.startswith(("pydantic", "pydantic_core"))
              or m.endswith("schemas") or m in ("chalicelib.domain.join_requests",
                                                 "chalicelib.domain.join_forms",
                                                 "chalicelib.domain.reorg")}
    assert models == set()


def test_every_route_names_models_that_exist() -> None:
    """A misspelt `WireModels` name would fail only when first called: load them all."""
    from pydantic import BaseModel

    import app  # noqa: F401 (declares every route)
    from chalicelib.api.http import ROUTES
    for spec in ROUTES:
        for model in (spec.response_model, spec.request_model):
            assert model is None or issubclass(model, BaseModel), (spec.method, spec.path)


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


# What the first signed `GET /v1/inbox` of a cold function must not load: it lists the
# caller's inbox, nothing else (R-PROP-5, P5b in docs/performance.md).
NOT_ON_THE_INBOX_PATH = (
    "moto", "openpyxl", "jinja2", "docx", "holidays", "jwt",  # tests, exports, pages, tokens
    "chalicelib.domain.edxml.",  # the edXML codec
    "chalicelib.adapters.spreadsheets", "chalicelib.adapters.letters",
    "chalicelib.services.push",  # pushing to WebSocket connections, not listing
    "chalicelib.services.send", "chalicelib.services.fanout", "chalicelib.services.sweeper",
    # fetching, confirming, rejecting: services.inbox lists without them
    "chalicelib.services.receive", "chalicelib.services.counters",
    "chalicelib.services.webhook_outbox", "chalicelib.services.relay_reports",
)


def test_the_first_signed_inbox_call_loads_nothing_the_inbox_does_not_need(tmp_path: Path
                                                                           ) -> None:
    from lgsp_client.signing import LgspAuth

    env, creds = cold_start.first_request_environment(tmp_path)
    answer, _ = cold_start.first_request(env, LgspAuth(creds.access_key, creds.secret_key),
                                         modules=True)
    assert answer["status"] == 200, answer["body"]
    loaded = set(answer["modules"])
    assert {"chalicelib.services.auth", "chalicelib.services.inbox"} <= loaded
    assert sorted(m for m in loaded if m.startswith(NOT_ON_THE_INBOX_PATH)) == []
    # Authentication reads the key through services.keys_lookup, not the registry's use
    # cases (and their units' and keys' wire models).
    assert sorted(m for m in loaded if m.startswith((
        "chalicelib.services.registry", "chalicelib.services.units",
        "chalicelib.services.access_keys"))) == []
    # Wire models: the inbox's (domain.schemas) only; no other route's, nor the OpenAPI
    # document.
    models = {m for m in loaded if m.endswith("schemas") or m.startswith((
        "chalicelib.domain.join_requests", "chalicelib.domain.join_forms",
        "chalicelib.domain.reorg", "chalicelib.api.openapi"))}
    assert models <= {"chalicelib.domain.schemas"}
