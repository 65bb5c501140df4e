"""The API edge: the access log keeps its own fields whatever the path parameters are
called."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.support.hub import World

# -- the access log --------------------------------------------------------------------


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records
            if r.name == "lgsp.api" and r.getMessage().startswith("{")]


def test_a_code_path_parameter_does_not_overwrite_the_error_code(
        hub: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lgsp.api")
    assert hub.a.get("/v1/directory/__main__", signed=False).status == 401
    [line] = [x for x in access_lines(caplog) if x["route"] == "GET /v1/directory/{code}"]
    assert (line["status"], line["code"]) == (401, "signature_missing")
    assert line["params"] == {"code": "__main__"}


def test_every_path_parameter_is_logged_under_params(
        hub: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lgsp.api")
    hub.a.get("/v1/admin/units/status/history")  # 403: not an operator
    hub.a.get("/v1/admin/requests/0123456789abcdef/letter", signed=False)  # 401
    lines = [x for x in access_lines(caplog) if "{" in x["route"]]
    assert [(x["status"], x["code"]) for x in lines] == [(403, "forbidden"),
                                                        (401, "signature_missing")]
    assert [x["params"] for x in lines] == [{"code": "status"}, {"id": "0123456789abcdef"}]
    assert all(set(x) == {"route", "status", "code", "unit", "ms", "request_id", "params"}
               for x in lines)
