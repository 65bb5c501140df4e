"""Peer hubs and routes through the API (issue 15, R-PROP-10, R-OPS-3; docs/federation.md):
operators register peers and routes and ask where a code goes; nobody else may; bad input
is refused naming its field and writes nothing; every change is in the audit log."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.times import province_month
from chalicelib.services import hub_signing, registry
from chalicelib.services.roles import UNIT_ADMIN
from tests.support.hub import UNIT_A, SignedClient, World

OPERATOR = "000.00.30.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def ed25519_jwk(*, private: bool = False) -> dict[str, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key().public_bytes_raw())}
    return {**jwk, "d": b64(key.private_bytes_raw())} if private else jwk


def p256_jwk() -> dict[str, str]:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")),
            "y": b64(numbers.y.to_bytes(32, "big")), "kid": "hanoi-2026"}


def peer_body(peer_id: str = "hanoi", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": peer_id, "name": "LGSP Hà Nội",
                            "base_url": "https://lgsp.hanoi.gov.vn/api/",
                            "public_jwk": p256_jwk()}
    return {**body, **extra}


def add_peer(client: SignedClient, peer_id: str = "hanoi", **extra: Any) -> dict[str, Any]:
    answer = client.post("/v1/admin/peers", peer_body(peer_id, **extra))
    assert answer.status == 201, answer.body
    return dict(answer.body)


def add_route(client: SignedClient, pattern: str, peer: str) -> dict[str, Any]:
    answer = client.post("/v1/admin/routes", {"pattern": pattern, "peer": peer})
    assert answer.status == 201, answer.body
    return dict(answer.body)


def resolve(client: SignedClient, code: str) -> dict[str, Any]:
    answer = client.get(f"/v1/admin/routes/resolve?code={code}")
    assert answer.status == 200, answer.body
    return dict(answer.body)


def written(hub: World) -> int:
    return sum(len(hub.deps.table.query(pk).items) for pk in (keys.PEERS, keys.ROUTES))


def test_an_operator_registers_reads_changes_and_removes_a_peer(
        hub: World, operator: SignedClient) -> None:
    made = add_peer(operator)
    assert made["base_url"] == "https://lgsp.hanoi.gov.vn/api"  # no trailing slash
    assert made["public_jwk"]["crv"] == "P-256" and made["jwks_url"] is None
    assert made["state"] == "active" and made["routes"] == 0
    assert made["our_key"] == "current" and made["our_kid"].startswith("hk-")
    assert made["created_by"] == operator.creds.app
    assert operator.get("/v1/admin/peers/hanoi").body == made
    assert operator.get("/v1/admin/peers").body["items"] == [made]
    hub.deps.clock.advance(60)
    changed = operator.call("PATCH", "/v1/admin/peers/hanoi", {
        "name": "Trục LGSP Hà Nội", "jwks_url": "https://lgsp.hanoi.gov.vn/jwks.json",
        "state": "disabled"})
    assert changed.status == 200, changed.body
    assert changed.body["name"] == "Trục LGSP Hà Nội" and changed.body["state"] == "disabled"
    assert changed.body["public_jwk"] is None  # the JWKS URL replaced the JWK
    assert changed.body["jwks_url"] == "https://lgsp.hanoi.gov.vn/jwks.json"
    assert changed.body["updated_at"] != made["updated_at"]
    gone = operator.call("DELETE", "/v1/admin/peers/hanoi")
    assert gone.status == 200 and gone.body == {"id": "hanoi", "removed": True}
    assert operator.get("/v1/admin/peers/hanoi").code == "peer_not_found"
    assert written(hub) == 0


def test_an_ed25519_key_and_a_pinned_hub_key_are_accepted(hub: World,
                                                          operator: SignedClient) -> None:
    kid = hub_signing.jwks(hub.deps)[0]["kid"]
    made = add_peer(operator, "ndxp", public_jwk=ed25519_jwk(), our_key=kid)
    assert made["public_jwk"]["kty"] == "OKP" and (made["our_key"], made["our_kid"]) == (kid,
                                                                                       kid)
    refused = operator.call("PATCH", "/v1/admin/peers/ndxp", {"our_key": "hk-nope"})
    assert (refused.status, refused.code) == (400, "unknown_hub_key")


def test_nobody_but_an_operator_may_touch_peers_or_routes(hub: World,
                                                          operator: SignedClient) -> None:
    add_peer(operator)
    admin = hub.as_(registry.create_app(hub.deps, UNIT_A, "quan-tri", role=UNIT_ADMIN))
    for client in (admin, hub.a):
        for method, path, body in (
                ("POST", "/v1/admin/peers", peer_body("other")),
                ("GET", "/v1/admin/peers", None), ("GET", "/v1/admin/peers/hanoi", None),
                ("PATCH", "/v1/admin/peers/hanoi", {"state": "disabled"}),
                ("DELETE", "/v1/admin/peers/hanoi", None),
                ("POST", "/v1/admin/routes", {"pattern": "H31", "peer": "hanoi"}),
                ("GET", "/v1/admin/routes", None), ("DELETE", "/v1/admin/routes/H31", None),
                ("GET", "/v1/admin/routes/resolve?code=000.00.00.H31", None)):
            answer = client.call(method, path, body)
            assert (answer.status, answer.code) == (403, "forbidden"), (method, path)
    assert operator.get("/v1/admin/peers/hanoi").body["state"] == "active"
    assert hub.deps.table.query(keys.ROUTES).items == []


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"base_url": "http://lgsp.hanoi.gov.vn"}, "invalid_peer_url", "base_url"),
    ({"base_url": "https://user:pw@lgsp.hanoi.gov.vn"}, "invalid_peer_url", "base_url"),
    ({"base_url": "https://lgsp.hanoi.gov.vn/?a=1"}, "invalid_peer_url", "base_url"),
    ({"public_jwk": None, "jwks_url": "http://lgsp.hanoi.gov.vn/jwks"}, "invalid_peer_url",
     "jwks_url"),
    ({"public_jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}}, "invalid_peer_key",
     "public_jwk"),
    ({"public_jwk": {**p256_jwk(), "y": b64(b"\x01" * 32)}}, "invalid_peer_key",
     "public_jwk"),
    ({"public_jwk": ed25519_jwk(private=True)}, "invalid_peer_key", "public_jwk"),
    ({"public_jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, "invalid_peer_key",
     "public_jwk"),
    ({"jwks_url": "https://lgsp.hanoi.gov.vn/jwks"}, "invalid_peer_key", "public_jwk"),
    ({"id": "Hà Nội"}, "validation_failed", "id"),
])
def test_bad_peers_are_refused_naming_the_field_and_write_nothing(
        hub: World, operator: SignedClient, change: dict[str, Any], code: str,
        field: str) -> None:
    body = {k: v for k, v in peer_body(**change).items() if v is not None or k != "public_jwk"}
    answer = operator.post("/v1/admin/peers", body)
    assert (answer.status, answer.code) == (400, code), answer.body
    assert field in answer.body["error"]["message"]
    assert written(hub) == 0


def test_a_private_key_is_named_as_such(operator: SignedClient) -> None:
    answer = operator.post("/v1/admin/peers", peer_body(public_jwk=ed25519_jwk(private=True)))
    assert "private key" in answer.body["error"]["message"]


def test_http_is_allowed_only_where_the_setting_says(hub: World, operator: SignedClient
                                                     ) -> None:
    lab = replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"federation_allow_http": True}))
    bootstrap.install(lab)
    made = add_peer(operator, base_url="http://10.0.0.5:8000")
    assert made["base_url"] == "http://10.0.0.5:8000"


def test_a_taken_id_and_a_taken_pattern_are_conflicts(hub: World,
                                                      operator: SignedClient) -> None:
    add_peer(operator)
    add_peer(operator, "ndxp")
    again = operator.post("/v1/admin/peers", peer_body(name="Khác"))
    assert (again.status, again.code) == (409, "peer_exists")
    add_route(operator, "H31", "hanoi")
    twice = operator.post("/v1/admin/routes", {"pattern": "H31", "peer": "ndxp"})
    assert (twice.status, twice.code) == (409, "route_exists")
    assert "hanoi" in twice.body["error"]["message"]
    assert operator.get("/v1/admin/peers/ndxp").body["routes"] == 0


@pytest.mark.parametrize(("pattern", "code"), [
    ("g", "invalid_route_pattern"), ("1", "invalid_route_pattern"),
    ("GG", "invalid_route_pattern"), ("H3", "invalid_route_pattern"),
    ("000.05.00.H31", "invalid_unit_code"), ("**", "invalid_route_pattern")])
def test_bad_patterns_are_refused(hub: World, operator: SignedClient, pattern: str,
                                  code: str) -> None:
    add_peer(operator)
    answer = operator.post("/v1/admin/routes", {"pattern": pattern, "peer": "hanoi"})
    assert (answer.status, answer.code) == (400, code), answer.body
    assert hub.deps.table.query(keys.ROUTES).items == []


def test_a_route_needs_its_peer_and_a_routed_peer_cannot_be_removed(
        hub: World, operator: SignedClient) -> None:
    missing = operator.post("/v1/admin/routes", {"pattern": "H31", "peer": "nobody"})
    assert (missing.status, missing.code) == (404, "peer_not_found")
    add_peer(operator)
    route = add_route(operator, "000.00.04.G14", "hanoi")
    assert route == {**route, "id": "000.00.04.G14", "kind": "code", "peer": "hanoi"}
    default = add_route(operator, "*", "hanoi")
    assert (default["id"], default["kind"]) == ("default", "default")
    assert operator.get("/v1/admin/peers/hanoi").body["routes"] == 2
    refused = operator.call("DELETE", "/v1/admin/peers/hanoi")
    assert (refused.status, refused.code) == (409, "peer_in_use")
    listed = operator.get("/v1/admin/routes").body["items"]
    assert [r["pattern"] for r in listed] == ["*", "000.00.04.G14"]
    for route_id in ("000.00.04.G14", "default"):
        assert operator.call("DELETE", f"/v1/admin/routes/{route_id}").status == 200
    unknown = operator.call("DELETE", "/v1/admin/routes/default")
    assert (unknown.status, unknown.code) == (404, "peer_route_not_found")
    assert operator.get("/v1/admin/peers/hanoi").body["routes"] == 0
    assert operator.call("DELETE", "/v1/admin/peers/hanoi").status == 200


def test_resolution_local_first_then_the_most_specific_route(
        hub: World, operator: SignedClient) -> None:
    add_peer(operator, "hanoi")
    add_peer(operator, "bo-tc", public_jwk=ed25519_jwk())
    add_peer(operator, "ndxp", public_jwk=ed25519_jwk())
    add_route(operator, "H31", "hanoi")
    add_route(operator, "G", "ndxp")
    add_route(operator, "000.00.04.G14", "bo-tc")
    add_route(operator, "*", "ndxp")
    add_route(operator, "H99", "hanoi")  # our own letter: a registered unit stays local
    ours = resolve(operator, UNIT_A)
    assert ours == {"code": UNIT_A, "local": True, "outcome": "local", "peer": None,
                    "route": None}
    province = resolve(operator, "000.00.00.H31")
    assert (province["outcome"], province["peer"]["id"], province["route"]["pattern"]) == (
        "routed", "hanoi", "H31")
    ministry = resolve(operator, "000.00.04.G14")
    assert (ministry["peer"]["id"], ministry["route"]["kind"]) == ("bo-tc", "code")
    other = resolve(operator, "000.00.00.G09")
    assert (other["peer"]["id"], other["route"]["kind"]) == ("ndxp", "letter")
    unknown = resolve(operator, "000.00.00.K01")
    assert (unknown["peer"]["id"], unknown["route"]["id"]) == ("ndxp", "default")
    assert resolve(operator, "000.00.77.H99")["peer"]["id"] == "hanoi"


def test_a_disabled_peer_is_no_route_and_nothing_falls_through(
        hub: World, operator: SignedClient) -> None:
    add_peer(operator, "hanoi")
    add_peer(operator, "ndxp", public_jwk=ed25519_jwk())
    add_route(operator, "H31", "hanoi")
    add_route(operator, "*", "ndxp")
    operator.call("PATCH", "/v1/admin/peers/hanoi", {"state": "disabled"})
    held = resolve(operator, "000.00.00.H31")
    assert (held["local"], held["outcome"], held["peer"]) == (False, "peer_disabled", None)
    assert held["route"]["pattern"] == "H31"


def test_no_route_and_bad_codes(hub: World, operator: SignedClient) -> None:
    nothing = resolve(operator, "000.00.00.H31")
    assert (nothing["outcome"], nothing["peer"], nothing["route"]) == ("no_route", None, None)
    bad = operator.get("/v1/admin/routes/resolve?code=000.05.00.H31")
    assert (bad.status, bad.code) == (400, "invalid_unit_code")
    none = operator.get("/v1/admin/routes/resolve")
    assert (none.status, none.code) == (400, "validation_failed")


def test_every_change_is_an_audit_line(hub: World, operator: SignedClient) -> None:
    add_peer(operator)
    add_route(operator, "H31", "hanoi")
    operator.call("PATCH", "/v1/admin/peers/hanoi", {"state": "disabled"})
    operator.call("DELETE", "/v1/admin/peers/hanoi")  # refused: routed
    operator.call("DELETE", "/v1/admin/routes/H31")
    month = province_month(hub.deps.clock.now())
    lines = hub.deps.table.query(keys.audit_partition(month)).items
    seen = [(line["action"], line["outcome"], line["code"], line["actor"]) for line in lines]
    app = operator.creds.app
    assert seen == [("POST /v1/admin/peers", "ok", None, app),
                    ("POST /v1/admin/routes", "ok", None, app),
                    ("PATCH /v1/admin/peers/{peer}", "ok", None, app),
                    ("DELETE /v1/admin/peers/{peer}", "refused", "peer_in_use", app),
                    ("DELETE /v1/admin/routes/{route}", "ok", None, app)]
    assert lines[2]["target"] == {"peer": "hanoi"}
    assert all("public_jwk" not in str(line) for line in lines)  # metadata only
