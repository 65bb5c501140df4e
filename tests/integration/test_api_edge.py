"""The API edge: every method of every path answers in the project's shape (405
`method_not_allowed` with `Allow` for undeclared ones), a 500 says whether a retry is
safe, and the access log keeps its own fields whatever the path parameters are called."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.support.hub import UNIT_B, World, content_request

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")  # API Gateway's


def declared_methods() -> dict[str, list[str]]:
    """Path -> the methods its routes declare (not the 405 answers)."""
    from app import app

    return {path: [m for m in METHODS if m in entries
                   and entries[m].view_name != "method_not_allowed"]
            for path, entries in app.routes.items()}


def concrete(path: str) -> str:
    return re.sub(r"{\w+}", "x0", path)


def test_undeclared_methods_answer_405_with_allow(hub: World) -> None:
    checked = 0
    for path, declared in declared_methods().items():
        assert declared, path
        for method in METHODS:
            if method in declared:
                continue
            res = hub.client.http.request(method, concrete(path), headers={}, body=b"")
            body = json.loads(res.body)
            assert res.status_code == 405, (method, path)
            assert body["error"]["code"] == "method_not_allowed", (method, path)
            assert method in body["error"]["message"]
            assert res.headers["Allow"] == ", ".join(declared), (method, path)
            checked += 1
    assert checked > 150  # every path of the API, HEAD and OPTIONS included


def test_declared_methods_still_reach_their_routes(hub: World) -> None:
    assert hub.a.get("/v1/health", signed=False).status == 200
    assert hub.a.get("/v1/inbox").status == 200
    assert hub.a.call("OPTIONS", "/v1/inbox", signed=False).code == "method_not_allowed"
    assert hub.a.call("GET", "/openapi.json", signed=False).status == 200


# -- the 500 message -------------------------------------------------------------------


def boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("table on fire: secret detail")


def internal(res: Any) -> dict[str, Any]:
    assert (res.status, res.code) == (500, "internal_error")
    assert "secret detail" not in json.dumps(res.body)
    error: dict[str, Any] = res.body["error"]
    return error


def test_a_500_on_a_repeatable_call_says_retrying_is_safe(
        hub: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import inbox, receive

    monkeypatch.setattr(inbox, "inbox", boom)
    error = internal(hub.b.get("/v1/inbox"))
    assert error["safe_to_retry"] is True and "safe to retry" in error["message"]
    monkeypatch.setattr(receive, "confirm", boom)  # idempotent by state
    error = internal(hub.b.post("/v1/messages/m0/confirm", {"sha256": "0" * 64}))
    assert error["safe_to_retry"] is True


def test_a_500_on_key_rotation_says_what_to_check(hub: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import access_keys

    monkeypatch.setattr(access_keys, "rotate_key", boom)
    error = internal(hub.a.post("/v1/keys"))
    assert error["safe_to_retry"] is False
    assert "safe to retry" not in error["message"]
    assert "GET /v1/keys" in error["message"]


def test_a_500_on_sending_depends_on_the_idempotency_key(
        hub: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import send

    monkeypatch.setattr(send, "create_message", boom)
    body = content_request(b"x", [UNIT_B])
    error = internal(hub.a.post("/v1/messages", body))
    assert error["safe_to_retry"] is False
    assert "GET /v1/outbox" in error["message"] and "Idempotency-Key" in error["message"]
    keyed = internal(hub.a.post("/v1/messages", body, headers={"Idempotency-Key": "k-1"}))
    assert keyed["safe_to_retry"] is True and "safe to retry" in keyed["message"]


def test_a_500_on_the_letter_is_in_the_same_shape(hub: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import join_requests

    monkeypatch.setattr(join_requests, "letter", boom)
    assert internal(hub.a.get("/v1/admin/requests/0123456789abcdef/letter"))["safe_to_retry"]


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
    hub.a.call("PUT", "/v1/admin/units/status/history", signed=False)  # 405, {code}
    hub.a.get("/v1/admin/units/status/history")  # 403: not an operator
    lines = [x for x in access_lines(caplog) if "{code}" in x["route"]]
    assert [(x["status"], x["code"]) for x in lines] == [(405, "method_not_allowed"),
                                                        (403, "forbidden")]
    assert all(x["params"] == {"code": "status"} for x in lines)
    assert all(set(x) == {"route", "status", "code", "unit", "ms", "request_id", "params"}
               for x in lines)
