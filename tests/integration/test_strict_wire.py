"""The wire is strict: a JSON value of another type than the document gives is refused
with 400 `validation_failed` naming the field, never coerced (`true` is not 1, `"3600"`
is not 3600), and priorities are the four slugs the OpenAPI lists (R-PROP-4)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World, content_request


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": UNIT_C}


def nothing_sent(hub: World) -> bool:
    return hub.a.get("/v1/outbox").body["items"] == []


def refused(res: Any, field: str) -> bool:
    return (res.status, res.code) == (400, "validation_failed") and \
        res.body["error"]["message"].startswith(f"{field}:")


@pytest.mark.parametrize(("field", "value"), [
    ("content.size", True), ("content.size", "10"), ("content.size", 10.0),
    ("policy.confirm_within_seconds", "3600"), ("policy.confirm_within_seconds", 3600.0),
    ("policy.offline_limit_seconds", "7200"),
])
def test_numbers_are_json_numbers(hub: World, field: str, value: object) -> None:
    body = content_request(b"0123456789", [UNIT_B])
    outer, inner = field.split(".")
    body[outer] = {**body.get(outer, {}), inner: value}
    assert refused(hub.a.post("/v1/messages", body), field)
    assert nothing_sent(hub)


@pytest.mark.parametrize("priority", [3, "3", "Hỏa tốc", "hoa toc", "HOA_TOC", True])
def test_priority_is_one_of_the_four_slugs(hub: World, priority: object) -> None:
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B], priority=priority))
    assert refused(res, "priority")
    assert "hoa_toc, thuong_khan, khan, thuong" in res.body["error"]["message"]
    assert nothing_sent(hub)


def test_the_slugs_are_accepted(hub: World) -> None:
    for priority in ("hoa_toc", "thuong_khan", "khan", "thuong"):
        res = hub.a.post("/v1/messages", content_request(priority.encode(), [UNIT_B],
                                                         priority=priority))
        assert res.status == 201 and res.body["message"]["priority"] == priority


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("PUT", "/v1/admin/apps/app-x/legacy", {"legacy": "true"}, "legacy"),
    ("PUT", "/v1/admin/apps/app-x/legacy", {"legacy": 1}, "legacy"),
    ("POST", "/v1/admin/units/import", {"format": "csv", "data": "code,name\n",
                                        "dry_run": "false"}, "dry_run"),
    ("POST", "/v1/groups", {"id": "g", "name": "G", "rule": {"parent": UNIT_A,
                                                             "level": "3"}}, "rule.level"),
    ("POST", "/v1/messages/m0/complete", {"parts": [{"part_number": "1", "etag": "e"}]},
     "parts.0.part_number"),
    ("POST", "/v1/admin/reorganisations", {
        "kind": "dissolve", "units": [UNIT_B], "effective_date": 1767225600,
        "legal_basis": {"decision_number": "12/QĐ-UBND", "decision_date": "2026-01-01"}},
     "effective_date"),
])
def test_every_request_model_is_strict(hub: World, method: str, path: str,
                                       body: dict[str, Any], field: str) -> None:
    assert refused(hub.c.call(method, path, body), field)


def test_form_fields_are_strict_too(hub: World) -> None:
    res = hub.c.post("/v1/admin/requests", {"kind": "admin_account", "unit": UNIT_A,
                                            "fields": {"technical_documents": "yes"}})
    assert (res.status, res.code) == (400, "validation_failed")
    assert "technical_documents" in res.body["error"]["message"]
    assert hub.c.get("/v1/admin/requests").body["items"] == []



@pytest.mark.parametrize("padding", [" ", "\n"])
def test_a_maximum_length_holds_for_the_text_as_sent(hub: World, padding: str) -> None:
    # Found by the API fuzz test: surrounding whitespace was trimmed before the length was
    # checked, so a token of 9,001 characters ("x" and 9,000 spaces) passed where the
    # document says maxLength 8192.
    res = hub.a.post("/v1/auth/introspect", {"token": "x" + padding * 9000})
    assert refused(res, "token") and "at most 8192" in res.body["error"]["message"]
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B],
                                                     title=" " * 400 + "Công văn" + " " * 400))
    assert refused(res, "title")
    nested = hub.c.post("/v1/admin/reorganisations", {  # in a nested object, in a list
        "kind": "split", "units": [UNIT_B], "effective_date": "2026-01-01",
        "legal_basis": {"decision_number": "12/QĐ-UBND", "decision_date": "2026-01-01"},
        "successors": [{"code": "000.00.41.H99", "name": "Sở A"},
                       {"code": "000.00.42.H99", "name": "Sở B" + padding * 300}]})
    assert refused(nested, "successors.1.name")
    assert nothing_sent(hub)


def test_surrounding_whitespace_is_still_trimmed(hub: World) -> None:
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B], title="  Công văn \n"))
    assert res.status == 201 and res.body["message"]["title"] == "Công văn"
