"""The test vectors published in docs/auth.md hold: the library reproduces them, the hub
accepts them, and the document shows exactly the published values (R-DOC-1, R-COMP-4)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from chalicelib.domain.signatures import SignedRequest, VerificationKey, verify_request
from tests.support import vectors

DOCS = Path(__file__).resolve().parents[2] / "docs"
PUBLISHED: dict[str, Any] = json.loads((DOCS / "vectors" / "signatures.json").read_text())
AUTH_MD = (DOCS / "auth.md").read_text()


def key_for(algorithm: str, *, private: bool) -> Any:
    if algorithm.startswith("hmac"):
        return PUBLISHED["hmac_secret"].encode()
    if private:
        return serialization.load_pem_private_key(
            PUBLISHED["rsa_private_key_pem"].encode(), password=None)
    return PUBLISHED["rsa_public_key_pem"].encode()


@pytest.mark.parametrize("vector", PUBLISHED["vectors"], ids=lambda v: v["algorithm"])
def test_the_library_reproduces_the_vector(vector: dict[str, Any]) -> None:
    again = vectors.sign_vector(vector["algorithm"], key_for(vector["algorithm"], private=True))
    assert again["signature_base"] == vector["signature_base"]
    if vector["algorithm"] != "rsa-pss-sha512":  # PSS signatures are randomised
        assert again["headers"] == vector["headers"]


@pytest.mark.parametrize("vector", PUBLISHED["vectors"], ids=lambda v: v["algorithm"])
def test_the_hub_accepts_the_published_request(vector: dict[str, Any]) -> None:
    key = VerificationKey(PUBLISHED["key_id"], vector["algorithm"],
                          key_for(vector["algorithm"], private=False), "000.00.01.H99",
                          "app-1", legacy=True)
    request = SignedRequest(PUBLISHED["method"], PUBLISHED["url"], vector["headers"],
                            base64.b64decode(PUBLISHED["body_b64"]))
    caller = verify_request(request, now=PUBLISHED["created"], skew_seconds=300,
                            find_key=lambda _: key)
    assert caller.algorithm == vector["algorithm"] and caller.nonce == PUBLISHED["nonce"]


@pytest.mark.parametrize("vector", PUBLISHED["vectors"], ids=lambda v: v["algorithm"])
def test_the_document_shows_the_published_values(vector: dict[str, Any]) -> None:
    assert vector["signature_base"] in AUTH_MD
    assert vector["headers"]["Signature"] in AUTH_MD
    assert vector["headers"]["Signature-Input"] in AUTH_MD


def test_the_document_shows_the_keys_and_body() -> None:
    for value in (PUBLISHED["hmac_secret"], PUBLISHED["body"], PUBLISHED["url"]):
        assert value in AUTH_MD
    assert PUBLISHED["rsa_public_key_pem"].strip() in AUTH_MD
    assert PUBLISHED["rsa_private_key_pem"].strip() in AUTH_MD
