"""Key lifecycle (R-JOIN-2, R-COMP-4): rotation with an overlap, immediate revocation,
listing with last use, and the checks that keep an app to its own keys."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms

from chalicelib.domain import keys
from chalicelib.domain.times import iso
from chalicelib.services import registry
from chalicelib.services.registry import IssuedCredentials
from tests.support.hub import UNIT_A, SignedClient, World

DAY = 24 * 3600


def rotated(hub: World, client: SignedClient, body: dict[str, str] | None = None
            ) -> tuple[SignedClient, dict[str, object]]:
    res = client.post("/v1/keys", body or {})
    assert res.status == 201, res.body
    key = res.body["key"]
    creds = IssuedCredentials(client.creds.unit, client.creds.app, key["key_id"],
                              res.body["secret_key"], key["algorithm"])
    return hub.as_(creds), res.body


def key_item(hub: World, key_id: str) -> dict[str, object]:
    item = hub.deps.table.get(*keys.access_key(key_id))
    assert item is not None
    return item


def test_rotation_keeps_both_keys_valid_until_the_overlap_ends(hub: World) -> None:
    overlap = hub.deps.settings.key_overlap_seconds
    old = hub.a
    new, body = rotated(hub, old)
    assert body["key"]["status"] == "active" and body["secret_key"]
    [retiring] = body["retiring"]
    assert retiring["key_id"] == old.creds.access_key and retiring["status"] == "retiring"
    assert retiring["valid_until"] == iso(hub.deps.clock.now() + overlap)
    assert old.get("/v1/whoami").status == 200
    assert new.get("/v1/whoami").body["key_id"] == new.creds.access_key
    hub.deps.clock.advance(overlap - 1)
    assert old.get("/v1/whoami").status == 200
    hub.deps.clock.advance(1)
    res = old.get("/v1/whoami")
    assert res.status == 401 and res.code == "key_revoked"
    assert new.get("/v1/whoami").status == 200
    listed = {k["key_id"]: k["status"] for k in new.get("/v1/keys").body["items"]}
    assert listed == {new.creds.access_key: "active", old.creds.access_key: "expired"}


def test_a_second_rotation_retires_the_previous_new_key_only(hub: World) -> None:
    second, _ = rotated(hub, hub.a)
    hub.deps.clock.advance(DAY)
    third, body = rotated(hub, second)
    assert [k["key_id"] for k in body["retiring"]] == [second.creds.access_key]
    hub.deps.clock.advance(hub.deps.settings.key_overlap_seconds - DAY)
    assert hub.a.get("/v1/whoami").code == "key_revoked"  # its own end time, not extended
    assert second.get("/v1/whoami").status == 200
    assert third.get("/v1/whoami").status == 200


def test_revocation_is_immediate_even_for_the_signing_key(hub: World) -> None:
    new, _ = rotated(hub, hub.a)
    res = new.call("DELETE", f"/v1/keys/{hub.a.creds.access_key}")
    assert res.status == 200 and res.body["status"] == "revoked"
    assert res.body["revoked_at"] == iso(hub.deps.clock.now())
    refused = hub.a.get("/v1/whoami")
    assert refused.status == 401 and refused.code == "key_revoked"
    hub.deps.clock.advance(60)
    again = new.call("DELETE", f"/v1/keys/{hub.a.creds.access_key}")
    assert again.body["revoked_at"] == res.body["revoked_at"]  # idempotent
    self_revoke = new.call("DELETE", f"/v1/keys/{new.creds.access_key}")
    assert self_revoke.status == 200 and self_revoke.body["current"] is True
    assert new.get("/v1/keys").code == "key_revoked"
    key = registry.find_verification_key(hub.deps, new.creds.access_key)
    assert key is not None and key.active is False


def test_another_apps_key_is_not_found(hub: World) -> None:
    res = hub.a.call("DELETE", f"/v1/keys/{hub.b.creds.access_key}")
    assert res.status == 404 and res.code == "key_not_found"
    for missing in ("AKNOSUCHKEY", "not-a-key"):
        assert hub.a.call("DELETE", f"/v1/keys/{missing}").code == "key_not_found"
    assert hub.b.get("/v1/whoami").status == 200
    assert [k["key_id"] for k in hub.a.get("/v1/keys").body["items"]] == \
        [hub.a.creds.access_key]


def test_list_shows_created_and_last_used_and_no_secret(hub: World) -> None:
    created = hub.deps.clock.now()
    hub.deps.clock.advance(120)
    new, body = rotated(hub, hub.a)
    res = new.get("/v1/keys")
    old_view, new_view = sorted(res.body["items"], key=lambda k: k["key_id"] !=
                                hub.a.creds.access_key)
    assert old_view["created_at"] == iso(created)
    assert old_view["last_used_at"] == iso(created + 120)  # the rotation call
    assert new_view["created_at"] == new_view["last_used_at"] == iso(created + 120)
    assert new_view["current"] is True and old_view["current"] is False
    text = json.dumps(res.body)
    for secret in (hub.a.creds.secret_key, body["secret_key"]):
        assert isinstance(secret, str) and secret not in text
    assert "secret" not in text


def test_last_use_is_written_at_most_once_an_hour(hub: World) -> None:
    key_id = hub.a.creds.access_key
    assert key_item(hub, key_id)["last_used_at"] is None
    start = hub.deps.clock.now()
    assert hub.a.get("/v1/whoami").status == 200
    assert key_item(hub, key_id)["last_used_at"] == start
    for _ in range(3):
        hub.deps.clock.advance(1199)
        assert hub.a.get("/v1/whoami").status == 200
        assert key_item(hub, key_id)["last_used_at"] == start
    hub.deps.clock.advance(3)  # 3600 s after the first use
    assert hub.a.get("/v1/inbox").status == 200
    assert key_item(hub, key_id)["last_used_at"] == start + 3600
    link = hub.deps.table.get(*keys.app_key(hub.a.creds.app, key_id))
    assert link is not None and link["last_used_at"] == start + 3600


def test_concurrent_first_uses_write_once(hub: World) -> None:
    key_id = hub.a.creds.access_key
    stale = key_item(hub, key_id)  # two calls read the key before either writes
    registry.record_key_use(hub.deps, stale)
    hub.deps.clock.advance(2 * 3600)
    registry.record_key_use(hub.deps, stale)  # the loser's condition fails: no second write
    assert key_item(hub, key_id)["last_used_at"] == hub.deps.clock.now() - 2 * 3600


def test_a_forged_call_does_not_count_as_use(hub: World) -> None:
    res = hub.a.get("/v1/whoami", key="not the secret")
    assert res.status == 401 and res.code == "signature_invalid"
    assert key_item(hub, hub.a.creds.access_key)["last_used_at"] is None


def test_rsa_rotation_with_a_public_key(hub: World) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    new, body = rotated(hub, hub.a, {"algorithm": "rsa-pss-sha512", "public_key": pem})
    assert body["secret_key"] is None and body["key"]["algorithm"] == "rsa-pss-sha512"
    res = new.get("/v1/whoami", key=private, algorithm=algorithms.RSA_PSS_SHA512)
    assert res.status == 200 and res.body["algorithm"] == "rsa-pss-sha512"
    item = key_item(hub, new.creds.access_key)
    assert "secret_sealed" not in item and "PUBLIC KEY" in str(item["public_key_pem"])
    # omitted algorithm: the signing key's (RSA), so a public key is needed
    missing = new.post("/v1/keys", {}, key=private, algorithm=algorithms.RSA_PSS_SHA512)
    assert missing.status == 400 and missing.code == "invalid_public_key"


@pytest.mark.parametrize(("body", "code"), [
    ({"algorithm": "hmac-sha256", "public_key": "x"}, "public_key_not_expected"),
    ({"algorithm": "hmac-sha1"}, "algorithm_not_allowed"),
    ({"algorithm": "des"}, "invalid_algorithm"),
    ({"algorithm": "rsa-v1_5-sha256", "public_key": "not a key"}, "invalid_public_key"),
    ({"secret_key": "mine"}, "validation_failed"),
])
def test_bad_rotations_change_nothing(hub: World, body: dict[str, str], code: str) -> None:
    res = hub.a.post("/v1/keys", body)
    assert res.status == 400 and res.code == code
    assert len(hub.a.get("/v1/keys").body["items"]) == 1


def test_legacy_apps_may_rotate_to_hmac_sha1(hub: World) -> None:
    from chalicelib.domain.algorithms import HmacSha1

    creds = registry.create_app(hub.deps, UNIT_A, "old", algorithm="hmac-sha1", legacy=True)
    old = hub.as_(creds)
    res = old.post("/v1/keys", {}, algorithm=HmacSha1)
    assert res.status == 201 and res.body["key"]["algorithm"] == "hmac-sha1"


def test_usable_keys_are_capped(hub: World) -> None:
    client = hub.a
    for _ in range(4):
        client, _ = rotated(hub, client)
    res = client.post("/v1/keys", {})
    assert res.status == 409 and res.code == "too_many_keys"
    hub.deps.clock.advance(hub.deps.settings.key_overlap_seconds)
    rotated(hub, client)
