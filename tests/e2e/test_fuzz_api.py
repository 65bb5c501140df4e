"""Fuzzing the published API over real HTTP (schemathesis): no request, well-formed or
not, gets a server error, and every answer is what the document says.

A single-machine host is started; its own `/openapi.json` drives schemathesis, which sends
each operation its examples, boundary and malformed cases (the coverage phase, which also
tries the methods a path does not take) and generated requests, valid and invalid (the
fuzzing phase), as an ordinary app (its admin routes answer 403) and as an operator app.
Every request is signed with the agency client's signing, exactly as sent, so the
malformed ones reach the hub's validation instead of stopping at the signature. The few
requests that would take away the fuzzer's own access are withheld (`footing_risk`).
Bounds and exclusions: docs/architecture.md, "Fuzzing".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import checks

from tests.e2e.conftest import LocalHub, started_hub
from tests.support.fuzz import Footing, Identity, Tally, footing_risk

pytestmark = pytest.mark.e2e

SEED = 94210  # fixed, and `deterministic`: the same requests on every run
MAX_EXAMPLES = 25  # generated requests per operation and identity (fuzzing phase)
OPERATOR_UNIT = "000.00.30.H99"


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    with started_hub(tmp_path_factory.mktemp("fuzz") / "var") as hub:
        yield hub


def _identities(hub: LocalHub) -> dict[str, Identity]:
    ordinary = next(a for a in hub.apps if a["unit"] != OPERATOR_UNIT)
    operator = next(a for a in hub.apps if a["unit"] == OPERATOR_UNIT)
    return {name: Identity(name, a["unit"], a["app"], a["access_key"], a["secret_key"])
            for name, a in (("app", ordinary), ("operator", operator))}


@pytest.fixture(scope="module")
def footing(fuzz_hub: LocalHub) -> Footing:
    return Footing.of(_identities(fuzz_hub).values())


@pytest.fixture(scope="module", params=["app", "operator"])
def identity(request: pytest.FixtureRequest, fuzz_hub: LocalHub) -> Identity:
    return _identities(fuzz_hub)[request.param]


@pytest.fixture(scope="module")
def tallies() -> dict[str, Tally]:
    return {}


@pytest.fixture(scope="module")
def tally(identity: Identity, tallies: dict[str, Tally]) -> Tally:
    return tallies.setdefault(identity.name, Tally())


@pytest.fixture(scope="module")
def api_schema(fuzz_hub: LocalHub, identity: Identity) -> schemathesis.BaseSchema:
    """The running hub's document, once per identity (which parametrizes the fuzz test
    through this fixture: schemathesis' test takes its fixtures from the test function).
    The signature headers are not generated (`with-security-parameters`): the transport
    signs every request, so a mutated signature would only test the tamper matrix again."""
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True,
                       "database": "none", "with-security-parameters": False},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_url(f"{fuzz_hub.url}/openapi.json", config=config)


def error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx answer is the project's `{"error": {"code", "message"}}`."""
    if 400 <= response.status_code < 500:
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
        assert isinstance(error, dict) and isinstance(error.get("code"), str) and \
            isinstance(error.get("message"), str), \
            f"{response.status_code} is not the error shape: {response.text[:300]}"
    return None


def passes_authentication(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every request is validly signed: a 401 means the fuzzer lost its key (or the hub
    and the client disagree on what is signed). Either way the rest of the run would
    prove nothing, so it fails here, naming the refusal."""
    assert response.status_code != 401, (
        f"a signed request was refused at authentication ({response.text[:200]}): the "
        "fuzzer's identity is no longer usable, or the hub and the client disagree on the "
        "signed request; the run would be vacuous")
    return None


# Response conformance (status, content type, headers, body schema) holds too: not one
# false alarm in runs of 13,000 requests per identity, so a failure is a real mismatch
# between the hub and its document. Invalid data must be refused (it found an empty
# `limit` taken as none). Not `positive_data_acceptance`: the hub's rules go beyond JSON
# Schema (a unit code's parts, states, dates), so schema-valid requests rightly get 400.
CHECKS = [checks.not_a_server_error, error_shape, passes_authentication,
          checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance,
          checks.negative_data_rejection]


@pytest.fixture(autouse=True)
def _item_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's fixture-loaded schemas read and rename `item._nodeid` to report
    each operation; pytest 9 keeps the id elsewhere (`nodeid` is read-only), so give the
    item the attribute it expects. Without it the fuzz test errors before any request."""
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")
PAGES = {"sso", "console"}  # the tags of the routes people's browsers use
PEER_TAG = "hub-to-hub"  # the routes only peer hubs may call (api/openapi.py)


@schema.parametrize()
def test_no_request_gets_a_server_error(case: schemathesis.Case, identity: Identity,
                                        footing: Footing, tally: Tally) -> None:
    label = f"{case.method.upper()} {case.path}"
    if footing_risk(case.method.upper(), case.path, case.path_parameters, case.body, footing):
        tally.withheld[label] += 1
        return
    auth = identity.auth
    if PAGES & set(case.operation.tags or []):
        # The SSO's pages and protocol endpoints answer in the protocols' own shapes
        # (HTML, RFC 6749 errors, 401 without a Bearer token), the console's pages send a
        # browser without a session to its login (303): here only no 5xx.
        response = case.call(timeout=30)
        tally.operations.add(case.operation.label)
        tally.sso[response.status_code] += 1
        case.validate_response(response, checks=[checks.not_a_server_error])
        return
    if PEER_TAG in (case.operation.tags or []):
        # Only peer hubs call these (signed `lgsp-hub`, docs/federation.md): an app's
        # valid signature never gets an answer from them, whatever the request holds.
        response = case.call(auth=auth, timeout=30)
        tally.operations.add(case.operation.label)
        tally.peer[response.status_code] += 1
        case.validate_response(response, checks=[checks.not_a_server_error, error_shape])
        assert response.status_code >= 400, f"{label} answered an app: {response.text[:200]}"
        return
    response = case.call(auth=auth, timeout=30)
    try:
        body = response.json()
    except ValueError:
        body = None
    tally.record(case.operation.label, response.status_code, body)
    case.validate_response(response, checks=CHECKS, transport_kwargs={"auth": auth})


def test_the_run_reached_every_operation_and_the_identities_still_work(
        fuzz_hub: LocalHub, tallies: dict[str, Tally]) -> None:
    """The fuzz run was not vacuous: each identity's requests got past authentication to
    every operation of the document, and both identities can still sign calls."""
    document = requests.get(f"{fuzz_hub.url}/openapi.json", timeout=10).json()
    # schemathesis leaves out the operation that serves the document it reads.
    operations = {f"{method.upper()} {path}" for path, methods in document["paths"].items()
                  for method in methods} - {"GET /openapi.json"}
    for name, who in _identities(fuzz_hub).items():
        tally = tallies.get(name)
        assert tally is not None, f"{name}: not fuzzed (run the whole module)"
        statuses = dict(sorted(tally.statuses.items()))
        print(f"\n{name}: {tally.requests} requests, statuses {statuses}, "
              f"withheld {dict(tally.withheld)}")
        assert operations <= tally.operations, (name, operations - tally.operations)
        assert 401 not in tally.statuses, f"{name} lost its footing: {tally.codes}"
        assert not any(status >= 500 for status in tally.statuses), tally.codes
        assert not any(status >= 500 for status in tally.sso), tally.sso
        assert tally.peer and not any(status < 400 for status in tally.peer), tally.peer
        assert sum(n for s, n in tally.statuses.items() if s < 300) > 0, name
        answer = requests.get(f"{fuzz_hub.url}/v1/whoami", auth=who.auth, timeout=10)
        assert answer.status_code == 200 and answer.json()["unit"] == who.unit, answer.text
