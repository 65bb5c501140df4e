"""The rules of hub-to-hub signatures (issue 15, R-COMP-4, R-PROP-10;
`domain/peer_signatures.py`), without I/O: what is signed, what a peer's call must carry,
and that each kind of peer key verifies with its own algorithm only."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver

from chalicelib.domain import peer_keys, peer_signatures as rules
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.signatures import SignedRequest
from tests.support.signing import Message

NOW = 1_795_000_000
URL = "https://lgsp.b.test/v1/federation/ping"
HUB = "https://lgsp.a.test"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rsa_key() -> tuple[bytes, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    n = key.public_key().public_numbers().n
    return pem, peer_keys.public_jwk({"kty": "RSA", "n": b64(n.to_bytes(256, "big")),
                                      "e": "AQAB", "kid": "hk-1"})


def signed(pem: bytes, body: bytes | None = b"{}", **kw: Any) -> SignedRequest:
    headers = {"lgsp-hub": HUB, **({"content-type": "application/json"} if body else {})}
    out = rules.sign("POST", URL, headers, body, key_id="hk-1", private_pem=pem,
                     created=kw.pop("created", NOW), nonce=kw.pop("nonce", "n" * 22))
    return SignedRequest("POST", URL, out, body or b"")


def refused(request: SignedRequest, jwk: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(AuthenticationError) as caught:
        rules.verify(request, rules.read_claim(request), jwk, now=kw.get("now", NOW),
                     skew_seconds=300)
    return caught.value.code


@pytest.mark.parametrize(("given", "canonical"), [
    ("https://LGSP.Hanoi.gov.vn/", "https://lgsp.hanoi.gov.vn"),
    (" https://lgsp.hanoi.gov.vn/API/ ", "https://lgsp.hanoi.gov.vn/API"),
    ("HTTP://127.0.0.1:8000", "http://127.0.0.1:8000"),
])
def test_hub_urls_compare_without_case_in_scheme_and_host_nor_a_trailing_slash(
        given: str, canonical: str) -> None:
    assert rules.canonical_url(given) == canonical


def test_what_our_hub_signs_verifies_and_names_the_hub(
        rsa_key: tuple[bytes, dict[str, Any]]) -> None:
    pem, jwk = rsa_key
    request = signed(pem)
    assert request.headers["Content-Digest"].startswith("sha-512=:")
    claim = rules.read_claim(request)
    assert (claim.hub_url, claim.key_id) == (HUB, "hk-1")
    verified = rules.verify(request, claim, jwk, now=NOW + 299, skew_seconds=300)
    assert (verified.algorithm, verified.nonce, verified.created) == (
        "rsa-pss-sha512", "n" * 22, NOW)
    empty = signed(pem, body=None)
    assert "Content-Digest" not in empty.headers
    assert rules.verify(empty, rules.read_claim(empty), jwk, now=NOW, skew_seconds=300)


def test_a_call_is_refused_for_its_time_its_body_and_another_key(
        rsa_key: tuple[bytes, dict[str, Any]]) -> None:
    pem, jwk = rsa_key
    assert refused(signed(pem), jwk, now=NOW + 301) == "clock_skew"
    tampered = signed(pem)
    assert refused(SignedRequest("POST", URL, tampered.headers, b"[]"), jwk) == \
        "digest_mismatch"
    moved = signed(pem)
    assert refused(SignedRequest("POST", URL + "?x=1", moved.headers, b"{}"), jwk) == \
        "signature_invalid"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    assert refused(signed(other), jwk) == "signature_invalid"
    assert refused(signed(pem, nonce="short"), jwk) == "signature_invalid"


def test_the_hub_header_must_be_present_and_covered(
        rsa_key: tuple[bytes, dict[str, Any]]) -> None:
    request = signed(rsa_key[0])
    without = {k: v for k, v in request.headers.items() if k != "lgsp-hub"}
    with pytest.raises(AuthenticationError) as caught:
        rules.read_claim(SignedRequest("POST", URL, without, b"{}"))
    assert caught.value.code == "signature_invalid" and "lgsp-hub" in caught.value.message
    assert rules.claimed_hub(request) == HUB


def test_an_apps_signature_is_not_a_hubs() -> None:
    headers = {"Signature-Input": 'lgsp=("@method" "@target-uri");keyid="AK1";created=1',
               "Signature": "lgsp=:AAAA:"}
    with pytest.raises(AuthenticationError) as caught:
        rules.read_claim(SignedRequest("POST", URL, headers, b""))
    assert caught.value.code == "signature_invalid" and "lgsp-hub" in caught.value.message


def test_a_p256_peer_verifies_with_ecdsa_and_only_with_it() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = peer_keys.public_jwk({"kty": "EC", "crv": "P-256",
                                "x": b64(numbers.x.to_bytes(32, "big")),
                                "y": b64(numbers.y.to_bytes(32, "big"))})
    msg = Message("POST", URL, {"lgsp-hub": HUB, "content-type": "application/json"})
    HTTPMessageSigner(signature_algorithm=algorithms.ECDSA_P256_SHA256,
                      key_resolver=MappingKeyResolver(public_keys={},
                                                      private_keys={"ec-1": key})).sign(
        msg, key_id="ec-1", label="lgsp-hub", nonce="e" * 22, body=b"{}",
        created=datetime.datetime.fromtimestamp(NOW, datetime.UTC),
        covered_component_ids=rules.covered(body=True))
    request = SignedRequest("POST", URL, msg.headers, b"{}")
    assert rules.verify(request, rules.read_claim(request), jwk, now=NOW,
                        skew_seconds=300).algorithm == "ecdsa-p256-sha256"
    rsa_jwk = peer_keys.public_jwk({"kty": "RSA", "e": "AQAB", "n": b64(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        .public_numbers().n.to_bytes(256, "big"))})
    assert refused(request, rsa_jwk) == "algorithm_mismatch"
