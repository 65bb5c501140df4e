"""`/openapi.json` says what the hub does: each route's success media type is the one it
answers with, and a request body is documented as required exactly when the route refuses
a call without one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.api.openapi import openapi_document
from tests.integration.test_join_requests import (
    OPERATOR,
    REGISTER,
    People,
    approved,
    download,
    filed,
    make_people,
)
from tests.support.hub import World


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def people(hub: World) -> People:
    return make_people(hub)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = openapi_document()
    return [(method.upper(), path, op) for path, ops in doc["paths"].items()
            for method, op in ops.items()]


def success(op: dict[str, Any]) -> tuple[int, str]:
    [(status, answer)] = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
    [media_type] = answer["content"]
    return int(status), media_type


def test_a_body_is_documented_required_exactly_when_the_route_needs_one(
        hub: World, people: People) -> None:
    seen = {True: 0, False: 0}
    for method, path, op in operations():
        if "requestBody" not in op or "hub-to-hub" in op.get("tags", []):
            continue  # peer hubs' routes authenticate the hub first: test_relay_routes.py
        required = op["requestBody"]["required"]
        res = people.operator.call(method, re.sub(r"{\w+}", "x0", path))  # no body at all
        refused = res.status == 400 and res.code == "validation_failed"
        assert refused == required, (method, path, res.status, res.body)
        seen[required] += 1
    assert seen[True] > 10 and seen[False] >= 3


def test_key_rotation_takes_no_body(hub: World) -> None:
    [op] = [op for m, p, op in operations() if (m, p) == ("POST", "/v1/keys")]
    assert op["requestBody"]["required"] is False
    res = hub.a.call("POST", "/v1/keys")  # no body, no Content-Type
    assert res.status == 201 and res.body["key"]["algorithm"] == "hmac-sha256"


def test_json_routes_answer_the_documented_media_type(hub: World, people: People) -> None:
    checked = 0
    for method, path, op in operations():
        if method != "GET" or "{" in path or "sso" in op.get("tags", []):
            continue  # the SSO's pages and protocol answers: tests/integration/test_sso_*
        status, media_type = success(op)
        if media_type != "application/json":
            continue  # files (the reports' CSV and XLSX): tests/integration/test_reports.py
        required = [f"{q['name']}={q['schema']['example']}" for q in op.get("parameters", [])
                    if q["in"] == "query" and q["required"]]
        query = "?" + "&".join(required) if required else ""
        res = people.operator.get(path + query, signed=bool(op["security"]))
        assert res.status == status, (path, res.body)
        assert res.headers["content-type"] == media_type, path
        checked += 1
    assert checked >= 12


def test_the_letter_is_documented_as_the_docx_it_is(hub: World, people: People) -> None:
    [op] = [op for m, p, op in operations() if p.startswith("/v1/") and p.endswith("/letter")]
    status, media_type = success(op)
    assert media_type.endswith("wordprocessingml.document")
    assert op["responses"][str(status)]["content"][media_type] == {}  # bytes, no schema
    request = filed(people.admin_a, "register_app", REGISTER)
    approved(people, request["id"])
    got, headers, body = download(people.operator,
                                  f"/v1/admin/requests/{request['id']}/letter")
    assert got == status and headers["content-type"] == media_type
    assert body[:2] == b"PK"  # a zip container, as every DOCX
