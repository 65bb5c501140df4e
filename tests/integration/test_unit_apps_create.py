"""Operators create a unit's app directly, beside the joining workflow (R-JOIN-2,
R-JOIN-3, R-OPS-1): `POST /v1/admin/units/{code}/apps` writes the app, its first key and a
line of the unit's history in one transaction, shows an HMAC secret once (never stored in
clear, never in the history), and refuses anyone but operators, unknown units and units
that are not active."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms

from chalicelib.services import registry
from chalicelib.services.registry import IssuedCredentials
from tests.integration.test_units_reorg import BASIS, today
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World

OPERATOR = "000.00.30.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def op(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def apps_of(op: SignedClient, unit: str) -> list[dict[str, Any]]:
    listed = op.get(f"/v1/admin/units/{unit}/apps")
    assert listed.status == 200, listed.body
    return list(listed.body["items"])


def history_of(op: SignedClient, unit: str) -> list[dict[str, Any]]:
    return list(op.get(f"/v1/admin/units/{unit}/history").body["items"])


def test_an_operator_creates_an_app_and_its_secret_is_shown_once(
        hub: World, op: SignedClient) -> None:
    answer = op.post(f"/v1/admin/units/{UNIT_B}/apps", {"name": "Phần mềm một cửa"})
    assert answer.status == 201, answer.body
    assert answer.headers["cache-control"] == "no-store"
    app, creds = answer.body["app"], answer.body["credentials"]
    assert (app["unit"], app["name"], app["role"], app["status"], app["legacy"]) == (
        UNIT_B, "Phần mềm một cửa", "app", "active", False)
    assert [k["key_id"] for k in app["keys"]] == [creds["access_key"]]
    assert creds["algorithm"] == "hmac-sha256" and len(creds["secret_key"]) >= 32
    assert "shown only" in answer.body["note"]
    new_app = hub.as_(IssuedCredentials(UNIT_B, app["app"], creds["access_key"],
                                        creds["secret_key"], creds["algorithm"]))
    assert new_app.get("/v1/whoami").body["unit"] == UNIT_B
    [line, *_] = history_of(op, UNIT_B)
    assert (line["event"], line["actor"]) == ("app_created", op.creds.app)
    assert line["detail"] == {"app": app["app"], "name": "Phần mềm một cửa", "role": "app",
                              "algorithm": "hmac-sha256", "key_id": creds["access_key"],
                              "legacy": False}
    assert creds["secret_key"] not in str(history_of(op, UNIT_B))
    assert creds["secret_key"] not in str(apps_of(op, UNIT_B))
    assert app["app"] in {a["app"] for a in apps_of(op, UNIT_B)}


def test_a_unit_admin_app_manages_its_unit(hub: World, op: SignedClient) -> None:
    answer = op.post(f"/v1/admin/units/{UNIT_C}/apps", {"name": "Quản trị", "role":
                                                        "unit_admin"})
    assert answer.status == 201 and answer.body["app"]["role"] == "unit_admin"
    creds = answer.body["credentials"]
    admin = hub.as_(IssuedCredentials(UNIT_C, answer.body["app"]["app"],
                                      creds["access_key"], creds["secret_key"],
                                      creds["algorithm"]))
    assert admin.get(f"/v1/admin/units/{UNIT_C}/apps").status == 200
    assert history_of(op, UNIT_C)[0]["detail"]["role"] == "unit_admin"


def test_an_rsa_app_registers_only_its_public_key(hub: World, op: SignedClient) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    answer = op.post(f"/v1/admin/units/{UNIT_A}/apps", {
        "name": "Cổng dữ liệu", "algorithm": "rsa-pss-sha512", "public_key": pem})
    assert answer.status == 201, answer.body
    creds = answer.body["credentials"]
    assert creds["secret_key"] is None and "private key" in answer.body["note"]
    new_app = hub.as_(IssuedCredentials(UNIT_A, answer.body["app"]["app"],
                                        creds["access_key"], None, creds["algorithm"]))
    who = new_app.get("/v1/whoami", key=private, algorithm=algorithms.RSA_PSS_SHA512)
    assert who.status == 200 and who.body["unit"] == UNIT_A
    assert history_of(op, UNIT_A)[0]["detail"]["algorithm"] == "rsa-pss-sha512"


def test_a_legacy_app_may_have_an_hmac_sha1_key(op: SignedClient) -> None:
    answer = op.post(f"/v1/admin/units/{UNIT_A}/apps", {
        "name": "Hệ thống cũ", "algorithm": "hmac-sha1", "legacy": True})
    assert answer.status == 201, answer.body
    assert answer.body["app"]["legacy"] is True
    assert history_of(op, UNIT_A)[0]["detail"]["legacy"] is True


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": "x", "algorithm": "hmac-sha1"}, 400, "algorithm_not_allowed"),
    ({"name": "x", "algorithm": "md5"}, 400, "invalid_algorithm"),
    ({"name": "x", "algorithm": "rsa-pss-sha512"}, 400, "invalid_public_key"),
    ({"name": "x", "algorithm": "rsa-pss-sha512", "public_key": "not a key"}, 400,
     "invalid_public_key"),
    ({"name": "x", "public_key": "-----BEGIN PUBLIC KEY-----"}, 400,
     "public_key_not_expected"),
    ({"name": "x", "role": "root"}, 400, "validation_failed"),
    ({"name": ""}, 400, "validation_failed"),
    ({"name": "x", "secret_key": "mine"}, 400, "validation_failed"),
])
def test_bad_requests_write_nothing(op: SignedClient, body: dict[str, Any], status: int,
                                    code: str) -> None:
    before = (apps_of(op, UNIT_A), history_of(op, UNIT_A))
    answer = op.post(f"/v1/admin/units/{UNIT_A}/apps", body)
    assert (answer.status, answer.code) == (status, code), answer.body
    assert (apps_of(op, UNIT_A), history_of(op, UNIT_A)) == before


def test_only_operators_may(hub: World, op: SignedClient) -> None:
    admin_b = hub.as_(registry.create_app(hub.deps, UNIT_B, "quản trị", role="unit_admin"))
    before = [a["app"] for a in apps_of(op, UNIT_B)]
    for caller in (hub.b, admin_b, hub.a):
        answer = caller.post(f"/v1/admin/units/{UNIT_B}/apps", {"name": "x"})
        assert (answer.status, answer.code) == (403, "forbidden")
    assert [a["app"] for a in apps_of(op, UNIT_B)] == before
    assert [h["event"] for h in history_of(op, UNIT_B)] == ["created"]


def test_unknown_and_malformed_units(op: SignedClient) -> None:
    unknown = op.post("/v1/admin/units/000.00.77.H99/apps", {"name": "x"})
    assert (unknown.status, unknown.code) == (404, "unknown_unit")
    bad = op.post("/v1/admin/units/000.05.00.H99/apps", {"name": "x"})
    assert (bad.status, bad.code, bad.body["error"]["part"]) == (
        400, "invalid_unit_code", "level2")


def test_a_suspended_or_dissolved_unit_gets_no_new_app(hub: World, op: SignedClient) -> None:
    assert op.call("PATCH", f"/v1/admin/units/{UNIT_B}", {"status": "suspended"}).status == 200
    before = (apps_of(op, UNIT_B), history_of(op, UNIT_B))
    suspended = op.post(f"/v1/admin/units/{UNIT_B}/apps", {"name": "x"})
    assert (suspended.status, suspended.code) == (409, "unit_not_active")
    assert suspended.body["error"]["status"] == "suspended"
    assert (apps_of(op, UNIT_B), history_of(op, UNIT_B)) == before
    merged = op.post("/v1/admin/reorganisations", {
        "kind": "merge", "units": [UNIT_A, UNIT_C], "legal_basis": BASIS,
        "effective_date": today(hub),
        "successors": [{"code": "000.00.09.H99", "name": "Sở Hợp nhất"}]})
    assert merged.status == 201, merged.body
    dissolved = op.post(f"/v1/admin/units/{UNIT_A}/apps", {"name": "x"})
    assert (dissolved.status, dissolved.code) == (409, "unit_not_active")
    assert dissolved.body["error"]["successors"] == ["000.00.09.H99"]
    assert "000.00.09.H99" in dissolved.body["error"]["message"]
    assert op.post("/v1/admin/units/000.00.09.H99/apps", {"name": "x"}).status == 201


def test_the_route_is_described(hub: World) -> None:
    spec = hub.client.http.get("/openapi.json")
    path = spec.json_body["paths"]["/v1/admin/units/{code}/apps"]
    assert {"get", "post"} <= set(path)
    assert "201" in path["post"]["responses"]


def test_a_unit_suspended_while_the_app_is_created_gets_none(
        hub: World, op: SignedClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unit is read active, then suspended before the write: the transaction's
    condition on the unit's status refuses it, and nothing is written."""
    from chalicelib.services import unit_apps, units

    real = units.require_unit
    reads: list[str] = []

    def stale_then_real(deps: Any, code: str) -> dict[str, Any]:
        reads.append(code)
        item = real(deps, code)
        return {**item, "status": "active"} if len(reads) == 1 else item

    assert op.call("PATCH", f"/v1/admin/units/{UNIT_B}", {"status": "suspended"}).status == 200
    before = ([a["app"] for a in apps_of(op, UNIT_B)], history_of(op, UNIT_B))
    monkeypatch.setattr(unit_apps.units, "require_unit", stale_then_real)
    answer = op.post(f"/v1/admin/units/{UNIT_B}/apps", {"name": "x"})
    assert (answer.status, answer.code) == (409, "unit_not_active") and len(reads) == 2
    monkeypatch.undo()
    assert ([a["app"] for a in apps_of(op, UNIT_B)], history_of(op, UNIT_B)) == before
