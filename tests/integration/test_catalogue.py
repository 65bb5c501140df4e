"""The catalogue of shared data services through the app (R-COMP-3): publish, approve or
refuse, withdraw, search (accent-insensitive) and read, and who sees what."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.hub import UNIT_A, UNIT_B, World

REF = f"{UNIT_B}/land-records"
DOC = {"openapi": "3.0.3", "info": {"title": "Sổ địa chính", "version": "1.0"},
       "paths": {"/parcels/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}}


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    from tests.support.hub import UNIT_C
    return {"operator_units": UNIT_C}


def publication(**extra: Any) -> dict[str, Any]:
    return {"id": "land-records", "name": "Tra cứu thửa đất",
            "description": "Dữ liệu địa chính của tỉnh: thửa đất, chủ sử dụng.",
            "base_url": "https://dest.example.gov.vn/api/",
            "openapi_document": json.dumps(DOC), "data_categories": ["Đất đai"],
            "terms": "Chỉ dùng cho thủ tục hành chính.", "scopes": ["read"], **extra}


def publish(hub: World, **extra: Any) -> dict[str, Any]:
    res = hub.b.post("/v1/catalogue/services", publication(**extra))
    assert res.status == 201, res.body
    return dict(res.body)


def approve(hub: World) -> None:
    res = hub.c.post(f"/v1/catalogue/services/{REF}/approve")
    assert res.status == 200, res.body
    assert res.body["state"] == "listed"


def refs(res: Any) -> list[str]:
    assert res.status == 200, res.body
    return [e["ref"] for e in res.body["items"]]


def test_publish_approve_search_read(hub: World) -> None:  # R-COMP-3
    entry = publish(hub)
    assert entry["state"] == "pending" and entry["ref"] == REF
    assert entry["openapi_uploaded"] is True and entry["base_url"].endswith("/api")
    # pending: the owner and operators see it, nobody else
    assert refs(hub.a.get("/v1/catalogue/services")) == []
    assert hub.a.get(f"/v1/catalogue/services/{REF}").code == "catalogue_entry_not_found"
    assert refs(hub.b.get("/v1/catalogue/services")) == [REF]
    assert refs(hub.c.get("/v1/catalogue/services?state=pending")) == [REF]
    assert refs(hub.a.get("/v1/catalogue/services?state=pending")) == []
    approve(hub)
    found = hub.a.get("/v1/catalogue/services?q=THUA%20dat%20dia%20ch")
    assert refs(found) == [REF]
    assert refs(hub.a.get("/v1/catalogue/services?q=ho%20tich")) == []
    read = hub.a.get(f"/v1/catalogue/services/{REF}")
    assert read.status == 200 and read.body["terms"].startswith("Chỉ dùng")
    doc = hub.a.get(f"/v1/catalogue/services/{REF}/openapi")
    assert doc.status == 200 and doc.body["document"] == DOC
    # the registration brokered sessions use was written with the same id
    assert [s["ref"] for s in hub.b.get("/v1/services").body["items"]] == [REF]


def test_an_existing_registration_is_linked_not_duplicated(hub: World) -> None:
    res = hub.b.post("/v1/services", {"id": "land-records", "name": "Sổ địa chính",
                                      "base_url": "https://dest.example.gov.vn/api"})
    assert res.status == 201
    publish(hub)
    assert len(hub.b.get("/v1/services").body["items"]) == 1
    other = hub.b.post("/v1/catalogue/services",
                       publication(id="land-records", base_url="https://other.example/"))
    assert other.status == 409  # the entry exists (pending) before the URL is looked at


def test_base_url_must_match_the_registration(hub: World) -> None:
    hub.b.post("/v1/services", {"id": "land-records", "name": "Sổ địa chính",
                                "base_url": "https://dest.example.gov.vn/api"})
    res = hub.b.post("/v1/catalogue/services", publication(base_url="https://x.example/"))
    assert res.status == 409 and res.code == "base_url_mismatch"


def test_refuse_then_publish_again(hub: World) -> None:
    publish(hub)
    assert hub.b.post(f"/v1/catalogue/services/{REF}/approve").code == "forbidden"
    no_reason = hub.c.post(f"/v1/catalogue/services/{REF}/refuse", {})
    assert no_reason.status == 400
    refused = hub.c.post(f"/v1/catalogue/services/{REF}/refuse", {"reason": "Thiếu điều khoản"})
    assert refused.status == 200 and refused.body["state"] == "refused"
    assert refused.body["reason"] == "Thiếu điều khoản"
    assert hub.c.post(f"/v1/catalogue/services/{REF}/approve").code == \
        "catalogue_state_conflict"
    assert refs(hub.b.get("/v1/catalogue/services?state=refused")) == [REF]
    again = publish(hub, openapi_document=None, openapi_url="https://dest.example.gov.vn/oas")
    assert again["state"] == "pending" and again["openapi_uploaded"] is False
    doc = hub.b.get(f"/v1/catalogue/services/{REF}/openapi").body
    assert doc == {"ref": REF, "url": "https://dest.example.gov.vn/oas", "document": None}


def test_owner_withdraws_others_cannot(hub: World) -> None:
    publish(hub)
    approve(hub)
    assert hub.a.post(f"/v1/catalogue/services/{REF}/withdraw").code == "forbidden"
    assert hub.b.post("/v1/catalogue/services", publication()).code == \
        "catalogue_entry_exists"
    gone = hub.b.post(f"/v1/catalogue/services/{REF}/withdraw")
    assert gone.status == 200 and gone.body["state"] == "withdrawn"
    assert refs(hub.a.get("/v1/catalogue/services")) == []


@pytest.mark.parametrize(("change", "code"), [
    ({"openapi_document": "{not json"}, "invalid_openapi"),
    ({"openapi_document": json.dumps({"swagger": "2.0"})}, "invalid_openapi"),
    ({"base_url": "http://dest.example.gov.vn/"}, "validation_failed"),
    ({"openapi_document": None}, "validation_failed"),
    ({"data_categories": []}, "validation_failed")])
def test_bad_publications_are_refused_and_write_nothing(hub: World, change: dict[str, Any],
                                                        code: str) -> None:
    res = hub.b.post("/v1/catalogue/services", publication(**change))
    assert res.status == 400 and res.code == code, res.body
    assert refs(hub.b.get("/v1/catalogue/services")) == []
    assert hub.b.get("/v1/services").body["items"] == []


def test_search_pages_by_name(hub: World) -> None:
    for i in range(3):
        res = hub.b.post("/v1/catalogue/services",
                         publication(id=f"svc-{i}", name=f"Dịch vụ {i}"))
        assert res.status == 201, res.body
    first = hub.b.get("/v1/catalogue/services?limit=2&q=dich%20vu")
    assert refs(first) == [f"{UNIT_B}/svc-0", f"{UNIT_B}/svc-1"]
    cursor = first.body["next_cursor"]
    rest = hub.b.get(f"/v1/catalogue/services?cursor={cursor}&limit=2&q=dich%20vu")
    assert refs(rest) == [f"{UNIT_B}/svc-2"] and rest.body["next_cursor"] is None
    assert hub.b.get("/v1/catalogue/services?cursor=a").code == "invalid_cursor"
    assert hub.b.get("/v1/catalogue/services?state=gone").code == "invalid_state"
    assert UNIT_A  # every unit reads the same catalogue
