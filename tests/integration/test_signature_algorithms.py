"""R-COMP-4: HMAC-SHA256, HMAC-SHA1 (legacy apps only) and RSA, each bound to its key;
nonces make every changing request single-use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms

from chalicelib.domain import keys
from chalicelib.domain.algorithms import HmacSha1
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.ports import Update
from chalicelib.services import registry
from tests.support.hub import HOST, UNIT_A, UNIT_B, World, content_request
from tests.support.signing import sign

LIB = {"hmac-sha256": algorithms.HMAC_SHA256, "hmac-sha1": HmacSha1,
       "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
       "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def app_with(hub: World, algorithm: str, rsa_key: rsa.RSAPrivateKey) -> tuple[Any, Any]:
    """A new app of UNIT_A with a key of `algorithm`, and the key material to sign with."""
    if algorithm.startswith("rsa"):
        creds = registry.create_app(hub.deps, UNIT_A, "rsa app", algorithm=algorithm,
                                    public_key=pem(rsa_key))
        return hub.as_(creds), rsa_key
    creds = registry.create_app(hub.deps, UNIT_A, "app", algorithm=algorithm,
                                legacy=algorithm == "hmac-sha1")
    return hub.as_(creds), None


@pytest.mark.parametrize("algorithm", sorted(LIB))
def test_every_algorithm_signs_a_call(hub: World, rsa_key: rsa.RSAPrivateKey,
                                      algorithm: str) -> None:
    client, key = app_with(hub, algorithm, rsa_key)
    res = client.call("GET", "/v1/whoami", key=key, algorithm=LIB[algorithm])
    assert res.status == 200, res.body
    assert res.body["algorithm"] == algorithm and res.body["unit"] == UNIT_A
    created = client.post("/v1/messages", content_request(b"x", [UNIT_B]), key=key,
                          algorithm=LIB[algorithm])
    assert created.status == 201, created.body


@pytest.mark.parametrize("algorithm", sorted(LIB))
def test_a_key_refuses_any_other_algorithm(hub: World, rsa_key: rsa.RSAPrivateKey,
                                           algorithm: str) -> None:
    client, key = app_with(hub, algorithm, rsa_key)
    for other, cls in LIB.items():
        if other == algorithm:
            continue
        signing_key = rsa_key if other.startswith("rsa") else (
            client.creds.secret_key or "guess")
        res = client.call("GET", "/v1/whoami", key=signing_key, algorithm=cls)
        assert res.status == 401 and res.code == "algorithm_mismatch", (algorithm, other)


def test_hmac_sha1_only_for_legacy_apps(hub: World) -> None:
    with pytest.raises(InvalidRequestError) as err:
        registry.create_app(hub.deps, UNIT_A, "new app", algorithm="hmac-sha1")
    assert err.value.code == "algorithm_not_allowed"
    creds = registry.create_app(hub.deps, UNIT_A, "old app", algorithm="hmac-sha1",
                                legacy=True)
    client = hub.as_(creds)
    assert client.call("GET", "/v1/whoami", algorithm=HmacSha1).status == 200
    hub.deps.table.update(Update(*keys.app(creds.app), set={"legacy": False}))  # elsewhere
    hub.deps.clock.advance(hub.deps.settings.auth_cache_seconds)  # the bound (docs/auth.md)
    res = client.call("GET", "/v1/whoami", algorithm=HmacSha1)
    assert res.status == 401 and res.code == "algorithm_not_allowed"


def test_rsa_public_keys_as_pem_or_jwk_never_private(hub: World,
                                                      rsa_key: rsa.RSAPrivateKey) -> None:
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(rsa_key.public_key())
    creds = registry.create_app(hub.deps, UNIT_A, "jwk app", algorithm="rsa-pss-sha512",
                                public_key=jwk)
    assert creds.secret_key is None
    res = hub.as_(creds).call("GET", "/v1/whoami", key=rsa_key,
                              algorithm=algorithms.RSA_PSS_SHA512)
    assert res.status == 200
    private_pem = rsa_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    for bad in (private_pem, RSAAlgorithm.to_jwk(rsa_key), pem(small), "not a key",
                json.dumps({"kty": "oct", "k": "AAAA"})):
        with pytest.raises(InvalidRequestError) as err:
            registry.create_app(hub.deps, UNIT_A, "bad", algorithm="rsa-v1_5-sha256",
                                public_key=bad)
        assert err.value.code == "invalid_public_key"


def test_changing_requests_need_a_nonce(hub: World) -> None:
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B]), nonce=None)
    assert res.status == 401 and res.code == "nonce_required"
    assert hub.a.call("GET", "/v1/inbox", nonce=None).status == 200
    bad = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B]), nonce="short")
    assert bad.status == 401 and bad.code == "signature_invalid"


def test_a_replayed_request_is_refused_and_does_nothing(hub: World) -> None:
    body = json.dumps(content_request(b"once", [UNIT_B])).encode()
    headers = sign("POST", f"http://{HOST}/v1/messages", key_id=hub.a.creds.access_key,
                   secret=hub.a.creds.secret_key, body=body, created=hub.deps.clock.now(),
                   headers={"host": HOST, "content-type": "application/json"})
    first = hub.client.http.request("POST", "/v1/messages", headers=headers, body=body)
    again = hub.client.http.request("POST", "/v1/messages", headers=headers, body=body)
    assert first.status_code == 201
    assert again.status_code == 401
    assert json.loads(again.body)["error"]["code"] == "replayed"
    assert len(hub.a.get("/v1/outbox").body["items"]) == 1


def test_operators_flag_apps_legacy_through_the_api(hub: World) -> None:
    from dataclasses import replace

    from chalicelib import bootstrap

    bootstrap.install(replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"operator_units": UNIT_B})))
    creds = registry.create_app(hub.deps, UNIT_A, "old app", algorithm="hmac-sha1",
                                legacy=True)
    path = f"/v1/admin/apps/{creds.app}/legacy"
    refused = hub.a.call("PUT", path, {"legacy": False})
    assert refused.status == 403 and refused.code == "forbidden"
    cleared = hub.b.call("PUT", path, {"legacy": False})
    assert cleared.status == 200 and cleared.body["legacy"] is False
    res = hub.as_(creds).call("GET", "/v1/whoami", algorithm=HmacSha1)
    assert res.status == 401 and res.code == "algorithm_not_allowed"
    assert hub.b.call("PUT", path, {"legacy": True}).status == 200
    assert hub.as_(creds).call("GET", "/v1/whoami", algorithm=HmacSha1).status == 200
    missing = hub.b.call("PUT", "/v1/admin/apps/app-nosuchapp/legacy", {"legacy": True})
    assert missing.status == 404 and missing.code == "app_not_found"
    bootstrap.install(hub.deps)
