"""A bad unit code gets the same answer on every path (R-JOIN-1, docs/identifiers.md):
400 `invalid_unit_code` naming the faulty `part` — registering, changing and looking a
unit up, importing (with the row), addressing a message or a group — including empty and
over-long codes, before anything is read or written. Registering one unit and importing
many accept the same units."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.services import registry
from tests.support.hub import UNIT_A, SignedClient, World, content_request

OPERATOR = "000.00.30.H99"
DOMAIN = "tinh.gov.vn"

BAD = [  # (code, part)
    ("", "format"),
    ("0" * 23 + ".00.00.H99", "format"),        # 33 characters
    ("000.00.31", "format"),
    ("000.00.31.h99", "level1"),
    ("000.00.31.H9", "level1"),
    ("000.00.3A.H99", "level2"),
    ("000.001.31.H99", "level3"),
    ("01.02.31.H99", "level4"),
    ("000.05.00.H99", "level2"),               # a level-3 unit under no level 2
    ("001.00.31.H99", "level3"),               # a level-4 unit under no level 3
]
IN_PATH = [(c, p) for c, p in BAD if c]  # a path segment cannot be empty


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "province_domain": DOMAIN}


@pytest.fixture
def op(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def refused(answer: Any, part: str) -> bool:
    error = (answer.body or {}).get("error", {})
    return (answer.status, error.get("code"), error.get("part")) == (
        400, "invalid_unit_code", part)


@pytest.mark.parametrize(("code", "part"), BAD)
def test_registering(op: SignedClient, code: str, part: str) -> None:
    answer = op.post("/v1/admin/units", {"code": code, "name": "Đơn vị thử"})
    assert refused(answer, part), answer.body


@pytest.mark.parametrize(("code", "part"), IN_PATH)
def test_changing_and_reading_a_unit(op: SignedClient, code: str, part: str) -> None:
    assert refused(op.call("PATCH", f"/v1/admin/units/{code}", {"name": "x"}), part)
    assert refused(op.get(f"/v1/admin/units/{code}/history"), part)
    assert refused(op.get(f"/v1/admin/units/{code}/apps"), part)


@pytest.mark.parametrize(("code", "part"), IN_PATH)
def test_looking_up(hub: World, code: str, part: str) -> None:
    assert refused(hub.a.get(f"/v1/directory/{code}"), part)
    assert refused(hub.a.get(f"/v1/directory/{code}/subtree"), part)


@pytest.mark.parametrize(("code", "part"), BAD)
def test_looking_up_by_account_or_parent(hub: World, code: str, part: str) -> None:
    assert refused(hub.a.get(f"/v1/directory?account={quote(code + '@' + DOMAIN, safe='')}"),
                   part)
    if code:
        assert refused(hub.a.get(f"/v1/directory?parent={code}"), part)


@pytest.mark.parametrize(("code", "part"), BAD)
def test_importing_names_the_row_and_the_part(op: SignedClient, code: str, part: str) -> None:
    data = f"code,name\n000.00.40.H99,Sở tốt\n{code},Đơn vị thử\n"
    answer = op.post("/v1/admin/units/import", {"format": "csv", "data": data})
    assert answer.status == 200, answer.body
    [error] = answer.body["errors"]
    assert (error["row"], error["error"], error["field"]) == (2, "invalid_unit_code", part)
    rows = json.dumps([{"code": code, "name": "Đơn vị thử"}])
    [error] = op.post("/v1/admin/units/import", {"format": "json", "data": rows}
                      ).body["errors"]
    assert (error["row"], error["error"], error["field"]) == (1, "invalid_unit_code", part)


@pytest.mark.parametrize(("code", "part"), BAD)
def test_sending(hub: World, code: str, part: str) -> None:
    answer = hub.a.post("/v1/messages", content_request(b"x", [UNIT_A, code]))
    assert refused(answer, part), answer.body
    assert answer.body["error"]["field"] == "to[1]"


def test_sending_to_a_malformed_group_or_an_unknown_code(hub: World) -> None:
    for entry in ("group:", "group:Bad Id", "group:" + "g" * 65):
        answer = hub.a.post("/v1/messages", content_request(b"x", [entry]))
        assert (answer.status, answer.code) == (400, "invalid_group_id"), entry
        assert answer.body["error"]["field"] == "to[0]"
    unknown = hub.a.post("/v1/messages", content_request(b"x", ["000.00.77.H99"]))
    assert (unknown.status, unknown.code) == (400, "unknown_destination")
    missing = hub.a.post("/v1/messages", content_request(b"x", ["group:nobody"]))
    assert (missing.status, missing.code) == (404, "unknown_group")


@pytest.mark.parametrize(("code", "part"), BAD)
def test_creating_a_group(op: SignedClient, code: str, part: str) -> None:
    members = op.post("/v1/groups", {"id": "g", "name": "Nhóm", "members": [UNIT_A, code]})
    assert refused(members, part), members.body
    assert members.body["error"]["field"] == "members[1]"
    rule = op.post("/v1/groups", {"id": "g", "name": "Nhóm", "rule": {"parent": code}})
    assert refused(rule, part), rule.body
    assert rule.body["error"]["field"] == "rule.parent"


# -- one rule for a new unit, one at a time or by import ----------------------------------

ORPHANS = ["000.12.31.H98",   # neither its parent nor any ancestor is registered
           "001.12.07.H98",   # its level-1 ancestor is registered, its parent is not
           "000.03.01.H99"]   # its parent 000.00.01.H99 is registered
IMPORTED = ("code,name\n"
            "000.00.00.H97,UBND tỉnh\n"
            "000.12.31.H96,Không có cấp trên nào\n"       # no ancestor anywhere
            "001.12.07.H97,Cấp tỉnh có trong tệp\n"       # only its level 1 is in the file
            "000.03.02.H99,Cấp trên đã đăng ký\n")        # parent registered, not in the file


def test_an_import_accepts_every_parent_single_registration_accepts(
        hub: World, op: SignedClient) -> None:
    assert op.post("/v1/admin/units", {"code": "000.00.00.H98", "name": "UBND"}).status == 201
    for code in ORPHANS:
        one = op.post("/v1/admin/units", {"code": code, "name": "Một đơn vị"})
        assert one.status == 201, one.body
    dry = op.post("/v1/admin/units/import", {"format": "csv", "data": IMPORTED})
    assert dry.body["valid"] is True and dry.body["errors"] == [], dry.body
    done = op.post("/v1/admin/units/import", {"format": "csv", "data": IMPORTED,
                                              "dry_run": False})
    assert done.status == 200 and done.body["imported"] == 4
    assert hub.a.get("/v1/directory/001.12.07.H97").body["parent"] == "000.12.07.H97"


def test_an_import_checks_a_row_as_single_registration_checks_a_body(
        op: SignedClient) -> None:
    long_short = "S" * 121
    one = op.post("/v1/admin/units", {"code": "000.00.41.H99", "name": "Sở",
                                      "short_name": long_short})
    assert (one.status, one.code) == (400, "validation_failed")
    data = f"code,name,short_name,email\n000.00.41.H99,Sở,{long_short},\n" \
           f"000.00.42.H99,Sở,,{'e' * 201}\n"
    report = op.post("/v1/admin/units/import", {"format": "csv", "data": data}).body
    assert [(e["row"], e["field"], e["error"]) for e in report["errors"]] == [
        (1, "short_name", "validation_failed"), (2, "email", "validation_failed")]
