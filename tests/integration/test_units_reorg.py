"""The unit registry (R-JOIN-1, R-JOIN-5): units with level/parent/account, bulk import
with a dry run, and re-organisation that addresses follow (merge → successor, split →
refused naming the candidates), with nothing in flight lost."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.services import registry, sweeper
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World, content_request

OPERATOR = "000.00.30.H99"
BASIS = {"decision_number": "1234/QĐ-UBND", "decision_date": "2026-11-20"}


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "province_domain": "tinh.gov.vn"}


@pytest.fixture
def op(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def today(hub: World) -> str:
    return str(date.fromtimestamp(hub.deps.clock.now() + 7 * 3600))


def reorganise(op: SignedClient, hub: World, **body: Any) -> Any:
    answer = op.post("/v1/admin/reorganisations", {
        "legal_basis": BASIS, "effective_date": today(hub), **body})
    return answer


def test_a_unit_has_level_parent_account_and_history(hub: World, op: SignedClient) -> None:
    created = op.post("/v1/admin/units", {"code": "001.12.31.H99", "name": "Trường Tiểu học "
                                          "Kim Liên", "contact": {"phone": "024 3852 0000"}})
    assert created.status == 201, created.body
    assert (created.body["level"], created.body["parent"], created.body["account"]) == (
        4, "000.12.31.H99", "001.12.31.H99@tinh.gov.vn")
    changed = op.call("PATCH", "/v1/admin/units/001.12.31.H99", {"status": "suspended"})
    assert changed.body["status"] == "suspended"
    history = op.get("/v1/admin/units/001.12.31.H99/history").body["items"]
    assert [h["event"] for h in history] == ["changed", "created"]
    bad = op.post("/v1/admin/units", {"code": "000.05.00.H99", "name": "x"})
    assert bad.status == 400 and bad.body["error"]["part"] == "level2"
    assert hub.a.post("/v1/admin/units", {"code": "000.00.44.H99", "name": "x"}).status == 403


def test_an_import_dry_run_reports_every_bad_row_and_imports_nothing(
        hub: World, op: SignedClient) -> None:
    csv_text = ("code,name,short_name,email\n"
                "000.00.00.H98,Ủy ban nhân dân tỉnh Thử,UBND tỉnh,ubnd@tinh.gov.vn\n"
                "000.00.05.H98,Sở Tài chính,STC,\n"
                "000.05.00.H98,Sai mã,,\n"
                "000.00.05.H98,Trùng mã,,\n"
                "000.01.07.H98,Cha chưa đăng ký,,\n"  # like single registration: accepted
                f"{UNIT_A},Đã có,,\n"
                "000.00.06.H98,,,\n")
    report = op.post("/v1/admin/units/import", {"format": "csv", "data": csv_text})
    assert report.status == 200 and report.body["valid"] is False
    assert [(e["row"], e["error"]) for e in report.body["errors"]] == [
        (3, "invalid_unit_code"), (4, "duplicate_code"), (6, "unit_exists"),
        (7, "validation_failed")]
    refused = op.post("/v1/admin/units/import", {"format": "csv", "data": csv_text,
                                                 "dry_run": False})
    assert refused.status == 422 and refused.code == "import_invalid"
    assert len(refused.body["error"]["errors"]) == 4
    assert registry.get_unit(hub.deps, "000.00.00.H98") is None
    good = "\n".join(csv_text.splitlines()[:3])
    done = op.post("/v1/admin/units/import", {"format": "csv", "data": good,
                                              "dry_run": False})
    assert done.body == {"dry_run": False, "rows": 2, "valid": True, "imported": 2,
                         "errors": []}
    assert registry.get_unit(hub.deps, "000.00.05.H98")["parent"] == "000.00.00.H98"
    as_json = op.post("/v1/admin/units/import", {"format": "json", "dry_run": True, "data":
                      '[{"code": "000.00.07.H98", "name": "Sở Nội vụ"}]'})
    assert as_json.body["valid"] is True and as_json.body["imported"] == 0


def test_an_import_reads_every_line_ending_and_refuses_an_unreadable_csv(
        hub: World, op: SignedClient) -> None:
    for ending in ("\r\n", "\r", "\n"):  # Windows, classic Mac and Unix exports
        text = ending.join(["code,name", "000.00.00.H98,Ủy ban nhân dân tỉnh Thử", ""])
        report = op.post("/v1/admin/units/import", {"format": "csv", "data": text})
        assert (report.status, report.body["rows"], report.body["valid"]) == (200, 1, True)
    # Found by the API fuzz test: a carriage return inside the header line was a 500
    # (csv.Error "new-line character seen in unquoted field"); so was a field above the
    # csv module's limit.
    for data in ("P\U0010fc0d\u00f6\u0099\r\u00ba",
                 "code,name\n000.00.00.H98," + "x" * 200_000):
        refused = op.post("/v1/admin/units/import", {"format": "csv", "data": data})
        assert (refused.status, refused.code) == (400, "import_unreadable"), refused.body


def test_after_a_merge_a_message_to_the_old_code_reaches_the_successor(
        hub: World, op: SignedClient) -> None:
    in_flight = send(hub, b"dang gui", [UNIT_B])
    seen = recorded(hub)
    merged = reorganise(op, hub, kind="merge", units=[UNIT_B, UNIT_C],
                        successors=[{"code": "000.00.09.H99", "name": "Sở Hợp nhất"}])
    assert merged.status == 201, merged.body
    assert merged.body["state"] == "applied" and merged.body["moved_deliveries"] == 1
    # The source is told, not only through a trace line (issue item 12, R-JOIN-5).
    told = [(e.type, e.message_id, e.data.get("destination"), e.data.get("successor"))
            for e in seen if e.recipient == UNIT_A]
    assert told == [("message.rerouted", in_flight, UNIT_B, "000.00.09.H99")]
    successor = hub.as_(registry.create_app(hub.deps, "000.00.09.H99", "app"))
    assert [i["id"] for i in successor.get("/v1/inbox").body["items"]] == [in_flight]
    data = b"sau hop nhat"
    created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
    assert created.status == 201
    assert created.body["message"]["to"] == ["000.00.09.H99"]
    assert created.body["message"]["rerouted"] == {UNIT_B: "000.00.09.H99"}
    body = receive(successor, in_flight)
    confirmed = successor.post(f"/v1/messages/{in_flight}/confirm",
                               {"sha256": hashlib.sha256(body).hexdigest()})
    assert confirmed.status == 200
    status = hub.a.get(f"/v1/messages/{in_flight}").body
    assert {d["unit"]: d["state"] for d in status["deliveries"]} == {
        UNIT_B: "moved", "000.00.09.H99": "confirmed"}
    assert status["message"]["state"] == "completed"
    assert hub.b.get("/v1/whoami").status == 401  # the old unit's apps stop working


def test_a_split_unit_is_refused_naming_its_successors(hub: World, op: SignedClient) -> None:
    seen = recorded(hub)
    in_flight = send(hub, b"x", [UNIT_C])
    split = reorganise(op, hub, kind="split", units=[UNIT_C], successors=[
        {"code": "000.00.11.H99", "name": "Sở Một"}, {"code": "000.00.12.H99",
                                                     "name": "Sở Hai"}])
    assert split.status == 201 and split.body["sources_told"] == 1
    told = [e for e in seen if e.type == "message.undeliverable"]
    assert [(e.message_id, e.data["reason"], e.data["candidates"]) for e in told] == [
        (in_flight, "unit_split", ["000.00.11.H99", "000.00.12.H99"])]
    refused = hub.a.post("/v1/messages", content_request(b"y", [UNIT_C]))
    assert refused.status == 409 and refused.code == "unit_split"
    assert refused.body["error"]["candidates"] == ["000.00.11.H99", "000.00.12.H99"]


def test_a_rename_keeps_the_code_and_a_dissolved_unit_is_refused(
        hub: World, op: SignedClient) -> None:
    renamed = reorganise(op, hub, kind="rename", units=[UNIT_B], new_name="Sở Nội vụ mới")
    assert renamed.status == 201
    assert registry.get_unit(hub.deps, UNIT_B)["name"] == "Sở Nội vụ mới"
    assert hub.b.get("/v1/whoami").status == 200
    assert reorganise(op, hub, kind="dissolve", units=[UNIT_C]).status == 201
    refused = hub.a.post("/v1/messages", content_request(b"z", [UNIT_C]))
    assert refused.status == 400 and refused.code == "inactive_destination"
    again = reorganise(op, hub, kind="dissolve", units=[UNIT_C])
    assert again.status == 409 and again.code == "unit_dissolved"
    wrong = reorganise(op, hub, kind="merge", units=[UNIT_B], successors=[])
    assert wrong.status == 400
    assert hub.a.post("/v1/admin/reorganisations", {
        "kind": "dissolve", "units": [UNIT_B], "legal_basis": BASIS,
        "effective_date": today(hub)}).status == 403


def test_a_future_reorganisation_is_applied_by_the_sweeper_on_its_day(
        hub: World, op: SignedClient) -> None:
    tomorrow = str(date.fromisoformat(today(hub)) + timedelta(days=1))
    scheduled = op.post("/v1/admin/reorganisations", {
        "kind": "merge", "units": [UNIT_B, UNIT_C], "legal_basis": BASIS,
        "effective_date": tomorrow, "successors": [{"code": "000.00.09.H99",
                                                    "name": "Sở Hợp nhất"}]})
    assert scheduled.body["state"] == "scheduled"
    assert registry.get_unit(hub.deps, UNIT_B)["status"] == "active"
    hub.deps.clock.advance(2 * 86400)  # type: ignore[attr-defined]
    sweeper.sweep(hub.deps)
    assert registry.get_unit(hub.deps, UNIT_B)["successors"] == ["000.00.09.H99"]
    listed = op.get("/v1/admin/reorganisations").body["items"]
    assert [r["state"] for r in listed] == ["applied"]
    assert hub.deps.table.get(*keys.unit("000.00.09.H99")) is not None


def test_a_group_address_fans_out_to_its_active_members_at_sending(
        hub: World, op: SignedClient) -> None:
    """R-PROP-7: `group:<id>` reaches every active member as of the send."""
    for code, name in [("000.00.00.H97", "UBND huyện Thử"), ("000.01.05.H97", "UBND xã A"),
                       ("000.00.05.H97", "UBND thị trấn"), ("000.02.05.H97", "UBND xã B"),
                       ("000.03.05.H97", "UBND xã C")]:
        assert op.post("/v1/admin/units", {"code": code, "name": name}).status == 201
    made = op.post("/v1/groups", {"id": "xa-huyen-thu", "name": "Các xã của huyện Thử",
                                  "rule": {"parent": "000.00.05.H97", "level": 3}})
    assert made.status == 201, made.body
    op.call("PATCH", "/v1/admin/units/000.03.05.H97", {"status": "suspended"})
    created = hub.a.post("/v1/messages", content_request(b"thong bao", ["group:xa-huyen-thu"]))
    assert created.status == 201, created.body
    assert created.body["message"]["to"] == ["000.01.05.H97", "000.02.05.H97"]
    unknown = hub.a.post("/v1/messages", content_request(b"x", ["group:khong-co"]))
    assert unknown.status == 404 and unknown.code == "unknown_group"


def test_a_unit_admin_manages_its_own_units_apps_and_never_anothers(
        hub: World, op: SignedClient) -> None:
    """R-OPS-3: a unit admin sees and revokes its unit's app keys; another unit's apps are
    invisible to it (403 for the list, 404 for an app id); an ordinary app may not."""
    admin_b = hub.as_(registry.create_app(hub.deps, UNIT_B, "quản trị", role="unit_admin"))
    admin_c = hub.as_(registry.create_app(hub.deps, UNIT_C, "quản trị", role="unit_admin"))
    listed = admin_b.get(f"/v1/admin/units/{UNIT_B}/apps")
    assert listed.status == 200
    assert {a["role"] for a in listed.body["items"]} == {"app", "unit_admin"}
    assert "secret" not in str(listed.body).lower()
    assert admin_b.get(f"/v1/admin/units/{UNIT_C}/apps").status == 403
    assert hub.b.get(f"/v1/admin/units/{UNIT_B}/apps").status == 403
    app_b, key_b = hub.b.creds.app, hub.b.creds.access_key
    assert admin_c.call("DELETE", f"/v1/admin/apps/{app_b}/keys/{key_b}").status == 404
    assert hub.c.call("DELETE", f"/v1/admin/apps/{app_b}/keys/{key_b}").status == 403
    assert hub.b.get("/v1/whoami").status == 200
    revoked = admin_b.call("DELETE", f"/v1/admin/apps/{app_b}/keys/{key_b}")
    assert revoked.status == 200 and revoked.body["status"] == "revoked"
    assert hub.b.get("/v1/whoami").code == "key_revoked"
    assert op.get(f"/v1/admin/units/{UNIT_C}/apps").status == 200
