"""The audit log (R-OPS-3, R-OPS-5; docs/audit.md): every admin action, by a person's
token or an operator's app, is recorded with who did it; refused attempts too, with their
code; a unit's admins read only the actions on their unit; exports hold the same lines."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import load_workbook

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.errors import TransactionConflictError
from chalicelib.domain.ports import TransactOp
from chalicelib.domain.times import province_month
from chalicelib.services import registry
from chalicelib.services.roles import UNIT_ADMIN
from tests.support.hub import HOST, UNIT_A, UNIT_B, SignedClient, World
from tests.support.reports import bearer_get, download, get, person_token

OPERATOR = "000.00.30.H99"
NEW_UNIT = "000.00.04.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": "https://lgsp.test"}


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


@pytest.fixture
def admin_a(hub: World) -> SignedClient:
    return hub.as_(registry.create_app(hub.deps, UNIT_A, "quan-tri", role=UNIT_ADMIN))


def bearer_post(hub: World, path: str, token: str, body: Any) -> tuple[int, Any]:
    res = hub.client.http.request("POST", path, headers={
        "host": HOST, "x-forwarded-proto": "https", "authorization": f"Bearer {token}",
        "content-type": "application/json"}, body=json.dumps(body).encode())
    return res.status_code, json.loads(res.body) if res.body else None


def create_unit(client: SignedClient, code: str = NEW_UNIT) -> int:
    return client.post("/v1/admin/units", {"code": code, "name": "Phòng mới"},
                       headers={"x-request-id": "req-42"}).status


def test_an_operator_apps_action_is_recorded_with_its_app(hub: World,
                                                         operator: SignedClient) -> None:
    assert create_unit(operator) == 201
    page = get(operator, "/v1/admin/audit")
    assert page.status == 200, page.body
    [line] = page.body["items"]
    assert line["action"] == "POST /v1/admin/units"
    assert (line["outcome"], line["status"], line["code"]) == ("ok", 201, None)
    assert (line["actor"], line["person"]) == (operator.creds.app, None)
    assert (line["app"], line["caller_unit"]) == (operator.creds.app, OPERATOR)
    assert line["client_request_id"] == "req-42"


def test_a_persons_action_is_recorded_with_the_person(hub: World,
                                                     operator: SignedClient) -> None:
    """R-OPS-3: a unit admin person creates a person of their unit with their token."""
    token = person_token(hub, UNIT_A, "an.admin", ["unit_admin"])
    status, body = bearer_post(hub, f"/v1/admin/units/{UNIT_A}/people", token,
                               {"username": "binh", "name": "Trần Bình"})
    assert status == 201, body
    page = get(operator, f"/v1/admin/audit?unit={UNIT_A}").body
    [line] = [x for x in page["items"] if x["action"].startswith("POST /v1/admin/units/")]
    assert line["action"] == "POST /v1/admin/units/{code}/people"
    assert line["target"] == {"code": UNIT_A} and line["unit"] == UNIT_A
    assert line["person"] is not None and line["person"].startswith("an.admin@")
    assert line["actor"] == line["person"] and line["app"] == "lgsp-cli"
    # the same person reads the actions on their own unit with their token
    status, own = bearer_get(hub, f"/v1/admin/units/{UNIT_A}/audit", token)
    assert status == 200, own
    assert [x["action"] for x in own["items"]] == ["POST /v1/admin/units/{code}/people"]


def test_a_refused_attempt_is_recorded_with_its_code(hub: World, operator: SignedClient,
                                                    admin_a: SignedClient) -> None:
    assert create_unit(hub.b) == 403  # an ordinary app of unit B is not an operator
    assert admin_a.post(f"/v1/admin/units/{UNIT_B}/people",
                        {"username": "xa", "name": "X"}).status == 403
    lines = get(operator, "/v1/admin/audit").body["items"]
    assert [(x["action"], x["outcome"], x["status"], x["code"], x["caller_unit"], x["unit"])
            for x in lines] == [
        ("POST /v1/admin/units/{code}/people", "refused", 403, "forbidden", UNIT_A, UNIT_B),
        ("POST /v1/admin/units", "refused", 403, "forbidden", UNIT_B, UNIT_B)]


def test_a_unit_admin_reads_only_the_actions_on_their_unit(
        hub: World, operator: SignedClient, admin_a: SignedClient) -> None:
    assert operator.post(f"/v1/admin/units/{UNIT_A}/apps", {"name": "thu-vien"}).status == 201
    assert operator.post(f"/v1/admin/units/{UNIT_B}/apps", {"name": "kho"}).status == 201
    own = get(admin_a, f"/v1/admin/units/{UNIT_A}/audit")
    assert own.status == 200, own.body
    assert [(x["unit"], x["target"]) for x in own.body["items"]] == [
        (UNIT_A, {"code": UNIT_A})]
    other = get(admin_a, f"/v1/admin/units/{UNIT_B}/audit")
    assert (other.status, other.code) == (403, "forbidden")
    province = get(admin_a, "/v1/admin/audit")
    assert (province.status, province.code) == (403, "forbidden")
    ordinary = get(hub.a, f"/v1/admin/units/{UNIT_A}/audit")  # not an admin app
    assert (ordinary.status, ordinary.code) == (403, "forbidden")
    both = get(operator, "/v1/admin/audit").body["items"]
    assert [x["unit"] for x in both] == [UNIT_B, UNIT_A]  # newest first


def test_an_action_on_an_app_is_recorded_on_the_apps_unit(hub: World,
                                                         operator: SignedClient) -> None:
    app_id = hub.b.creds.app
    assert operator.call("PUT", f"/v1/admin/apps/{app_id}/legacy",
                         {"legacy": True}).status == 200
    [line] = get(operator, f"/v1/admin/units/{UNIT_B}/audit").body["items"]
    assert (line["action"], line["target"]) == ("PUT /v1/admin/apps/{app_id}/legacy",
                                                {"app_id": app_id})


def test_filters_and_paging(hub: World, operator: SignedClient) -> None:
    for n in range(3):
        assert create_unit(operator, f"000.00.1{n}.H99") == 201
        hub.deps.clock.advance(1)  # type: ignore[attr-defined]
    assert create_unit(hub.b) == 403
    first = get(operator, f"/v1/admin/audit?actor={operator.creds.app}&limit=2").body
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = get(operator, f"/v1/admin/audit?actor={operator.creds.app}&limit=2"
                         f"&cursor={first['next_cursor']}").body
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert {x["actor"] for x in first["items"] + rest["items"]} == {operator.creds.app}
    other = get(operator, f"/v1/admin/audit?limit=2&cursor={first['next_cursor']}")
    assert (other.status, other.code) == (400, "invalid_cursor")  # another listing's


def test_reads_are_not_recorded(hub: World, operator: SignedClient) -> None:
    assert get(operator, f"/v1/admin/units/{UNIT_A}/history").status == 200
    assert get(operator, "/v1/admin/audit").body["items"] == []


def test_the_exports_hold_the_same_lines(hub: World, operator: SignedClient) -> None:
    assert create_unit(operator) == 201
    status, headers, body = download(operator, "/v1/admin/audit/xlsx")
    assert status == 200, body
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Thời điểm", "Thao tác", "Đối tượng")
    assert rows[1][1] == "POST /v1/admin/units" and len(rows) == 2
    status, headers, body = download(operator, f"/v1/admin/units/{OPERATOR}/audit/csv")
    assert status == 200 and "POST /v1/admin/units" in body.decode("utf-8-sig")


class FailingAuditTable:
    """The table, except that writing an audit line fails."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def transact(self, ops: list[TransactOp]) -> None:
        if any(getattr(op, "item", {}).get("kind") == "audit" for op in ops):
            raise TransactionConflictError("injected", ["ConditionalCheckFailed"])
        self._table.transact(ops)


def test_a_lost_audit_line_does_not_turn_the_action_into_an_error(
        hub: World, operator: SignedClient, caplog: pytest.LogCaptureFixture) -> None:
    bootstrap.install(replace(hub.deps, table=FailingAuditTable(hub.deps.table)))
    assert create_unit(operator) == 201
    assert hub.deps.table.get(*keys.unit(NEW_UNIT)) is not None
    assert "could not record POST /v1/admin/units" in caplog.text
    month = province_month(hub.deps.clock.now())
    assert hub.deps.table.query(keys.audit_partition(month)).items == []
