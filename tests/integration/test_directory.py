"""The smart directory and named groups through the API (R-PROP-7): signed search,
lookups, subtrees, groups for operators, `resolve_group` at call time, and a unit change
visible to search at once (the directory version)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from chalicelib.domain.errors import NotFoundError
from chalicelib.services import directory, groups, registry, units
from tests.support.hub import UNIT_A, World

OPERATOR = "000.00.30.H99"
DISTRICT = "000.00.10.H99"
NEW_UNITS = [
    ("000.00.11.H99", "Sở Tài chính", "STC"),
    ("000.01.11.H99", "Phòng Tài chính - Kế hoạch", None),
    (DISTRICT, "Ủy ban nhân dân huyện Đồng Văn", "UBND huyện Đồng Văn"),
    ("000.01.10.H99", "Ủy ban nhân dân xã Đồng Tâm", None),
    ("001.01.10.H99", "Trường Tiểu học Đồng Tâm", None),
    ("002.01.10.H99", "Trường THCS Đồng Tâm", None),
    ("000.02.10.H99", "Ủy ban nhân dân thị trấn Đồng Văn", None),
    ("001.02.10.H99", "Trường Mầm non Thị trấn", None),
]


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def dir_hub(hub: World) -> World:
    for code, name, short in NEW_UNITS:
        units.create_unit(hub.deps, code, name, short_name=short)
    return hub


def url(path: str, **params: Any) -> str:
    """Query parameters sorted and percent-encoded, as signing clients send them."""
    items = sorted((k, str(v)) for k, v in params.items())
    return path + ("?" + urllib.parse.urlencode(items, quote_via=urllib.parse.quote)
                   if items else "")


def operator(hub: World) -> Any:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def test_search_ignores_accents_and_reports_the_matched_part(dir_hub: World) -> None:
    reply = dir_hub.a.get(url("/v1/directory", q="so tai ch"))
    assert reply.status == 200
    first = reply.body["items"][0]
    assert first["code"] == "000.00.11.H99" and first["short_name"] == "STC"
    assert first["match"] == {"field": "name", "text": "Sở Tài chính",
                              "spans": [[0, 2], [3, 6], [7, 9]]}
    assert first["account"] == "000.00.11.H99@lgsp.gov.vn" and first["level"] == 2
    accented = dir_hub.a.get(url("/v1/directory", q="ĐỒNG TÂM")).body["items"]
    assert [i["code"] for i in accented] == ["002.01.10.H99", "001.01.10.H99",
                                             "000.01.10.H99"]  # shorter names first


def test_filters_and_listing_without_a_query(dir_hub: World) -> None:
    under = dir_hub.b.get(url("/v1/directory", q="truong", parent=DISTRICT, level=4)).body
    assert {i["code"] for i in under["items"]} == {"001.01.10.H99", "002.01.10.H99",
                                                   "001.02.10.H99"}
    listing = dir_hub.b.get(url("/v1/directory", parent=DISTRICT, limit=2)).body
    assert [i["code"] for i in listing["items"]] == ["000.01.10.H99", "000.02.10.H99"]
    assert listing["more"] and listing["items"][0]["match"] is None
    rest = dir_hub.b.get(url("/v1/directory", cursor=listing["next_cursor"], limit=2,
                             parent=DISTRICT)).body
    assert [i["code"] for i in rest["items"]] == ["001.01.10.H99", "001.02.10.H99"]


@pytest.mark.parametrize(("params", "code"), [
    ({"level": "5"}, "invalid_level"), ({"status": "sleeping"}, "invalid_status"),
    ({"limit": "101"}, "invalid_limit"), ({"parent": "H99"}, "invalid_unit_code"),
    ({"q": "x" * 201}, "invalid_query"), ({"account": "a@b", "q": "x"}, "invalid_request"),
])
def test_bad_parameters_are_refused_with_a_code(dir_hub: World, params: dict[str, str],
                                                code: str) -> None:
    reply = dir_hub.a.get(url("/v1/directory", **params))
    assert reply.status == 400 and reply.code == code


def test_lookups_by_code_and_by_account(dir_hub: World) -> None:
    entry = dir_hub.a.get(f"/v1/directory/{DISTRICT}").body
    assert entry["name"] == "Ủy ban nhân dân huyện Đồng Văn" and entry["parent"] == \
        "000.00.00.H99"
    missing = dir_hub.a.get("/v1/directory/000.00.99.H99")
    assert missing.status == 404 and missing.code == "unit_not_found"
    assert dir_hub.a.get("/v1/directory/nonsense").code == "invalid_unit_code"
    found = dir_hub.a.get(url("/v1/directory", account=f"{DISTRICT}@lgsp.gov.vn")).body
    assert [i["code"] for i in found["items"]] == [DISTRICT]
    assert found["items"][0]["match"]["field"] == "account"
    other = dir_hub.a.get(url("/v1/directory", account=f"{DISTRICT}@elsewhere.vn"))
    assert other.status == 404 and other.code == "unit_not_found"


def test_a_subtree_pages_parents_before_children(dir_hub: World) -> None:
    first = dir_hub.a.get(url(f"/v1/directory/{DISTRICT}/subtree", limit=4)).body
    assert [i["code"] for i in first["items"]] == [DISTRICT, "000.01.10.H99",
                                                   "001.01.10.H99", "002.01.10.H99"]
    assert first["more"] and first["root"] == DISTRICT
    rest = dir_hub.a.get(url(f"/v1/directory/{DISTRICT}/subtree",
                             cursor=first["next_cursor"], limit=4)).body
    assert [i["code"] for i in rest["items"]] == ["000.02.10.H99", "001.02.10.H99"]
    assert not rest["more"] and rest["next_cursor"] is None
    assert dir_hub.a.get("/v1/directory/000.00.99.H99/subtree").status == 404


def test_every_directory_route_is_signed(dir_hub: World) -> None:
    for path in ("/v1/directory?q=so", f"/v1/directory/{DISTRICT}", "/v1/groups"):
        assert dir_hub.a.get(path, signed=False).status == 401


def test_a_unit_change_is_searchable_at_once_and_reads_rebuild_only_after_one(
        dir_hub: World) -> None:
    assert dir_hub.a.get(url("/v1/directory", q="ngan hang")).body["items"] == []
    builds = directory.CACHE.builds
    dir_hub.a.get(url("/v1/directory", q="dong"))
    assert directory.CACHE.builds == builds  # no change, no rebuild
    units.create_unit(dir_hub.deps, "000.00.12.H99", "Ngân hàng Nhà nước chi nhánh tỉnh")
    found = dir_hub.a.get(url("/v1/directory", q="ngan hang")).body
    assert [i["code"] for i in found["items"]] == ["000.00.12.H99"]
    units.update_unit(dir_hub.deps, "000.00.12.H99", {"name": "Kho bạc Nhà nước tỉnh",
                                                        "short_name": "KBNN tỉnh"},
                      actor=None)
    assert dir_hub.a.get(url("/v1/directory", q="ngan hang")).body["items"] == []
    assert dir_hub.a.get(url("/v1/directory", q="kho bac")).body["items"][0]["code"] == \
        "000.00.12.H99"
    assert directory.CACHE.builds == builds + 2


def test_groups_are_created_and_deleted_by_operators_only(dir_hub: World) -> None:
    body = {"id": "truong-dong-van", "name": "Các trường huyện Đồng Văn",
            "members": [UNIT_A], "rule": {"parent": DISTRICT, "level": 4}}
    refused = dir_hub.a.post("/v1/groups", body)
    assert refused.status == 403 and refused.code == "forbidden"
    op = operator(dir_hub)
    created = op.post("/v1/groups", body)
    assert created.status == 201, created.body
    assert created.body["active_members"] == sorted(["001.01.10.H99", "001.02.10.H99",
                                                     "002.01.10.H99", UNIT_A])
    assert op.post("/v1/groups", body).code == "group_exists"
    listed = dir_hub.b.get("/v1/groups").body["items"]
    assert [g["id"] for g in listed] == ["truong-dong-van"]
    assert listed[0]["rule"] == {"parent": DISTRICT, "level": 4}
    one = dir_hub.b.get("/v1/groups/truong-dong-van").body
    assert one["name"] == "Các trường huyện Đồng Văn" and one["created_by"] == OPERATOR
    assert dir_hub.b.call("DELETE", "/v1/groups/truong-dong-van").status == 403
    assert op.call("DELETE", "/v1/groups/truong-dong-van").body == {
        "id": "truong-dong-van", "deleted": True}
    gone = dir_hub.b.get("/v1/groups/truong-dong-van")
    assert gone.status == 404 and gone.code == "unknown_group"
    assert op.call("DELETE", "/v1/groups/truong-dong-van").status == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"id": "g", "name": "Nhóm"}, "validation_failed"),
    ({"id": "Bad Id", "name": "Nhóm", "members": [UNIT_A]}, "validation_failed"),
    ({"id": "g", "name": "Nhóm", "members": ["000.00.99.H99"]}, "unknown_unit"),
    ({"id": "g", "name": "Nhóm", "rule": {"parent": DISTRICT, "level": 2}}, "invalid_rule"),
    ({"id": "g", "name": "Nhóm", "members": ["x"]}, "invalid_unit_code"),
])
def test_bad_groups_are_refused(dir_hub: World, body: dict[str, Any], code: str) -> None:
    reply = operator(dir_hub).post("/v1/groups", body)
    assert reply.status == 400 and reply.code == code


def test_resolve_group_returns_active_members_at_call_time(dir_hub: World) -> None:
    op = operator(dir_hub)
    op.post("/v1/groups", {"id": "xa-dong-van", "name": "Các xã, thị trấn huyện Đồng Văn",
                           "members": [UNIT_A, "000.00.11.H99"],
                           "rule": {"parent": DISTRICT, "level": 3}})
    deps = dir_hub.deps
    assert groups.resolve_group(deps, "xa-dong-van") == sorted([
        "000.00.11.H99", "000.01.10.H99", "000.02.10.H99", UNIT_A])
    units.update_unit(deps, "000.02.10.H99", {"status": units.SUSPENDED}, actor=None)
    units.update_unit(deps, UNIT_A, {"status": units.DISSOLVED}, actor=None)
    units.create_unit(deps, "000.03.10.H99", "Ủy ban nhân dân xã Lũng Cú")
    assert groups.resolve_group(deps, "xa-dong-van") == [
        "000.00.11.H99", "000.01.10.H99", "000.03.10.H99"]  # UNIT_A dissolved
    with pytest.raises(NotFoundError) as err:
        groups.resolve_group(deps, "nope")
    assert err.value.code == "unknown_group"
