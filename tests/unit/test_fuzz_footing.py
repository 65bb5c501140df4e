"""The API fuzz test's guard (`tests/support/fuzz.py`): exactly the requests that would
take away the fuzzer's own access are withheld, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fuzz import Footing, footing_risk

FOOTING = Footing(units=frozenset({"000.00.30.H99", "000.00.31.H99"}),
                  apps=frozenset({"app-own1"}), keys=frozenset({"AKOWNKEY0000000000001"}))
BASIS = {"decision_number": "1/QĐ", "decision_date": "2026-11-20"}


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("DELETE", "/v1/keys/{key_id}", {"key_id": "AKOWNKEY0000000000001"}, None),
    ("DELETE", "/v1/admin/apps/{app_id}/keys/{key_id}",
     {"app_id": "x", "key_id": "AKOWNKEY0000000000001"}, None),
    ("PATCH", "/v1/admin/units/{code}", {"code": "000.00.31.H99"}, {"status": "active"}),
    ("POST", "/v1/admin/reorganisations", None,
     {"kind": "dissolve", "units": ["000.00.30.H99"], "legal_basis": BASIS}),
    ("POST", "/v1/admin/reorganisations", None,
     {"kind": "merge", "units": ["000.00.32.H99", "000.00.33.H99"],
      "successors": [{"code": "000.00.31.H99"}]}),
    ("POST", "/v1/admin/requests", None,
     {"kind": "cancel_app", "unit": "000.00.31.H99", "fields": {"app_id": "app-own1"}}),
    ("PATCH", "/v1/admin/requests/{id}", {"id": "r1"}, {"fields": {"app_id": "app-own1"}}),
])
def test_what_would_cut_the_fuzzers_access_is_withheld(method: str, path: str,
                                                       params: dict[str, Any] | None,
                                                       body: Any) -> None:
    assert footing_risk(method, path, params, body, FOOTING) is not None


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("DELETE", "/v1/keys/{key_id}", {"key_id": "AKANOTHERKEY000000001"}, None),
    ("DELETE", "/v1/admin/apps/{app_id}/keys/{key_id}",
     {"app_id": "x", "key_id": "AKANOTHERKEY000000001"}, None),
    ("PATCH", "/v1/admin/units/{code}", {"code": "000.00.31.H99"}, {"name": "Sở Tài chính"}),
    ("PATCH", "/v1/admin/units/{code}", {"code": "000.00.32.H99"}, {"status": "suspended"}),
    ("POST", "/v1/admin/reorganisations", None,
     {"kind": "dissolve", "units": ["000.00.32.H99"], "legal_basis": BASIS}),
    ("POST", "/v1/admin/reorganisations", None, "not even an object"),
    ("GET", "/v1/keys", None, None),
    ("POST", "/v1/admin/requests", None,
     {"kind": "cancel_app", "unit": "000.00.32.H99", "fields": {"app_id": "app-other"}}),
    ("PUT", "/v1/admin/apps/{app_id}/legacy", {"app_id": "x"}, {"legacy": False}),
])
def test_everything_else_is_sent(method: str, path: str, params: dict[str, Any] | None,
                                 body: Any) -> None:
    assert footing_risk(method, path, params, body, FOOTING) is None
