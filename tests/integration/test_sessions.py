"""Brokered service-to-service calls through the hub (R-AUTH-1..6)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain import keys
from chalicelib.domain.ports import Update
from chalicelib.services import registry
from chalicelib.services.sessions import rotate_signing_key
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World

SERVICE = f"{UNIT_B}/land-records"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    """The standard hub, with UNIT_C as the operator unit."""
    return {"operator_units": UNIT_C}


def _service(hub: World) -> None:
    res = hub.b.post("/v1/services", {"id": "land-records", "name": "Sổ địa chính",
                                      "base_url": "https://dest.example.gov.vn/api/"})
    assert res.status == 201, res.body
    assert res.body["ref"] == SERVICE


def _grant(hub: World, scopes: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    res = hub.c.post("/v1/grants", {"source_unit": UNIT_A, "service": {
        "unit": UNIT_B, "id": "land-records"}, "scopes": scopes or ["read"], **extra})
    assert res.status == 201, res.body
    return dict(res.body)


def _session(hub: World, **body: Any) -> str:
    res = hub.a.post("/v1/auth/sessions", {"service": SERVICE, **body})
    assert res.status == 201, res.body
    return str(res.body["token"])


def _introspect(hub: World, token: str, who: str = "b") -> dict[str, Any]:
    res = getattr(hub, who).post("/v1/auth/introspect", {"token": token})
    assert res.status == 200, res.body
    return dict(res.body)


@pytest.fixture
def granted(hub: World) -> World:
    _service(hub)
    _grant(hub, ["read", "write"])
    return hub


def test_grant_session_introspection_by_owner(granted: World) -> None:  # R-AUTH-1,2,4,5
    hub = granted
    res = hub.a.post("/v1/auth/sessions", {"service": SERVICE, "scopes": ["read"]})
    assert res.status == 201 and res.headers["cache-control"] == "no-store"
    assert res.body["service"]["base_url"] == "https://dest.example.gov.vn/api"
    assert res.body["expires_in"] == 900 and res.body["scope"] == "read"
    now = hub.deps.clock.now()
    info = _introspect(hub, res.body["token"])
    assert info["active"] is True
    assert info["iss"] == "lgsp" and info["aud"] == SERVICE and info["sub"] == UNIT_A
    assert info["client_id"] == hub.a.creds.app and info["scope"] == "read"
    assert info["iat"] == now and info["exp"] == now + 900 and info["jti"]
    assert info["source"] == {"unit": UNIT_A, "app": hub.a.creds.app,
                              "key_id": hub.a.creds.access_key}
    listed = hub.b.get("/v1/services")
    assert [s["ref"] for s in listed.body["items"]] == [SERVICE]
    assert hub.a.get("/v1/services").body["items"] == []


def test_default_scopes_are_all_granted(granted: World) -> None:
    assert _introspect(granted, _session(granted))["scope"] == "read write"


def test_no_grant_is_access_denied(hub: World) -> None:  # R-AUTH-2
    _service(hub)
    res = hub.a.post("/v1/auth/sessions", {"service": SERVICE})
    assert res.status == 403 and res.code == "access_denied"
    unknown = hub.a.post("/v1/auth/sessions", {"service": f"{UNIT_B}/nothing"})
    assert unknown.status == 403 and unknown.code == "access_denied"


def test_scope_beyond_grant_is_denied(granted: World) -> None:
    res = granted.a.post("/v1/auth/sessions", {"service": SERVICE, "scopes": ["admin"]})
    assert res.status == 403 and res.code == "access_denied"


def test_grant_to_another_app_does_not_cover_this_one(hub: World) -> None:
    _service(hub)
    _grant(hub, source_app=hub.a.creds.app)
    other = hub.as_(registry.create_app(hub.deps, UNIT_A, "other app"))
    assert other.post("/v1/auth/sessions", {"service": SERVICE}).code == "access_denied"
    assert hub.a.post("/v1/auth/sessions", {"service": SERVICE}).status == 201


def test_introspection_by_non_owner_is_inactive(granted: World) -> None:  # R-AUTH-5
    token = _session(granted)
    assert _introspect(granted, token, "c") == {"active": False}
    assert _introspect(granted, token, "a") == {"active": False}


def test_expired_token_is_inactive(granted: World, clock: FakeClock) -> None:
    token = _session(granted)
    clock.advance(899)
    assert _introspect(granted, token)["active"] is True
    clock.advance(1)
    assert _introspect(granted, token) == {"active": False}


def test_forged_token_is_inactive(granted: World) -> None:
    genuine = jwt.decode(_session(granted), options={"verify_signature": False})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    kid = jwt.get_unverified_header(_session(granted))["kid"]
    forged = jwt.encode(genuine, pem, algorithm="RS256", headers={"kid": kid})
    assert _introspect(granted, forged) == {"active": False}
    assert _introspect(granted, "not-a-token") == {"active": False}
    none_alg = jwt.encode(genuine, None, algorithm="none", headers={"kid": kid})
    assert _introspect(granted, none_alg) == {"active": False}


def test_foreign_audience_is_inactive(granted: World) -> None:
    hub = granted
    hub.c.post("/v1/services", {"id": "tax", "name": "Thuế",
                                "base_url": "http://tax.local"})
    hub.c.post("/v1/grants", {"source_unit": UNIT_A, "service": {"unit": UNIT_C,
                                                                  "id": "tax"},
                              "scopes": ["read"]})
    token = _session(hub, service=f"{UNIT_C}/tax")
    assert _introspect(hub, token, "b") == {"active": False}
    assert _introspect(hub, token, "c")["aud"] == f"{UNIT_C}/tax"


def test_revoked_source_key_is_inactive(granted: World) -> None:
    token = _session(granted)
    granted.deps.table.update(Update(*keys.access_key(granted.a.creds.access_key),
                                     set={"status": "revoked"}))  # as another host does
    granted.deps.clock.advance(granted.deps.settings.auth_cache_seconds)  # docs/auth.md
    assert _introspect(granted, token) == {"active": False}


def test_removed_grant_is_inactive(hub: World) -> None:
    _service(hub)
    grant = _grant(hub)
    token = _session(hub)
    assert hub.a.call("DELETE", f"/v1/grants/{grant['id']}").code == "forbidden"
    res = hub.c.call("DELETE", f"/v1/grants/{grant['id']}")
    assert res.status == 200 and res.body["id"] == grant["id"]
    assert _introspect(hub, token) == {"active": False}
    again = hub.c.call("DELETE", f"/v1/grants/{grant['id']}")
    assert again.status == 404 and again.code == "unknown_grant"


def test_non_operator_cannot_grant(hub: World) -> None:
    _service(hub)
    res = hub.a.post("/v1/grants", {"source_unit": UNIT_A, "service": {
        "unit": UNIT_B, "id": "land-records"}, "scopes": ["read"]})
    assert res.status == 403 and res.code == "forbidden"


def test_grant_checks(hub: World) -> None:
    _service(hub)
    bad = {"source_unit": UNIT_A, "service": {"unit": UNIT_B, "id": "nope"}, "scopes": ["r"]}
    assert hub.c.post("/v1/grants", bad).code == "unknown_service"
    _grant(hub)
    dup = hub.c.post("/v1/grants", {**bad, "service": {"unit": UNIT_B, "id": "land-records"}})
    assert dup.status == 409 and dup.code == "grant_exists"
    again = hub.b.post("/v1/services", {"id": "land-records", "name": "x",
                                        "base_url": "https://x.gov.vn"})
    assert again.status == 409 and again.code == "service_exists"
    ftp = hub.b.post("/v1/services", {"id": "f", "name": "x", "base_url": "ftp://x"})
    assert ftp.status == 400


def _verify_offline(hub: World, token: str) -> dict[str, Any]:
    res = hub.client.http.get("/.well-known/jwks.json")
    assert res.status_code == 200
    jwk_set = jwt.PyJWKSet.from_json(res.body.decode())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwk_set.keys if k.key_id == kid)
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], audience=SERVICE,
                           issuer="lgsp", options={"verify_exp": False}))


def test_jwks_verifies_a_token_offline(granted: World) -> None:
    token = _session(granted)
    claims = _verify_offline(granted, token)
    assert claims["sub"] == UNIT_A and claims["kid_src"] == granted.a.creds.access_key
    assert claims["exp"] - claims["iat"] <= 900


def test_rotation_keeps_old_tokens_verifiable(granted: World, clock: FakeClock) -> None:
    old = _session(granted)
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_kid = rotate_signing_key(granted.deps)
    new = _session(granted)
    assert jwt.get_unverified_header(new)["kid"] == new_kid != old_kid
    assert _verify_offline(granted, old)["jti"] and _verify_offline(granted, new)["jti"]
    assert _introspect(granted, old)["active"] and _introspect(granted, new)["active"]
    clock.advance(901)
    published = {k["kid"] for k in granted.client.http.get(
        "/.well-known/jwks.json").json_body["keys"]}
    assert published == {new_kid}
