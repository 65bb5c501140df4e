"""Build the signature test vectors published in docs/auth.md (docs/vectors/signatures.json).

Run `python -m tests.support.vectors > docs/vectors/signatures.json` to regenerate; the
unit tests check the published file against the library and the hub's verifier.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import HTTPMessageSigner
from http_message_signatures.resolvers import MappingKeyResolver

from chalicelib.domain.algorithms import ALGORITHMS
from tests.support.signing import Message

KEY_ID = "AKTESTVECTOR00000001"
HMAC_SECRET = "lgsp-test-vector-secret-do-not-use-0123456789"
CREATED = 1_795_000_000
NONCE = "dGVzdC12ZWN0b3Itbm9uY2UtMDE"
METHOD = "POST"
URL = "https://lgsp.example.gov.vn/v1/messages/0190c1e2a3b4c5d6e7f8a9/confirm"
BODY = json.dumps({"sha256": hashlib.sha256(b"hello").hexdigest()}).encode()


def sign_vector(algorithm: str, key: Any) -> dict[str, Any]:
    msg = Message(METHOD, URL, {"Content-Type": "application/json"})
    signer = HTTPMessageSigner(signature_algorithm=ALGORITHMS[algorithm],
                               key_resolver=MappingKeyResolver(public_keys={},
                                                               private_keys={KEY_ID: key}))
    prepared = signer.prepare(msg, key_id=KEY_ID, label="lgsp", nonce=NONCE,
                              created=datetime.datetime.fromtimestamp(CREATED, datetime.UTC),
                              covered_component_ids=("@method", "@target-uri"), body=BODY)
    signature = ALGORITHMS[algorithm](private_key=key).sign(prepared.signature_base)
    signer.apply(msg, prepared, signature)
    return {"algorithm": algorithm, "signature_base": prepared.signature_base.decode(),
            "headers": msg.headers}


def build() -> dict[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    vectors = [sign_vector(alg, HMAC_SECRET.encode()) for alg in ("hmac-sha256", "hmac-sha1")]
    vectors += [sign_vector(alg, private) for alg in ("rsa-v1_5-sha256", "rsa-pss-sha512")]
    return {"key_id": KEY_ID, "hmac_secret": HMAC_SECRET, "rsa_private_key_pem": private_pem,
            "rsa_public_key_pem": public_pem, "method": METHOD, "url": URL,
            "body_b64": base64.b64encode(BODY).decode(), "body": BODY.decode(),
            "created": CREATED, "nonce": NONCE, "vectors": vectors}


if __name__ == "__main__":
    print(json.dumps(build(), indent=2, ensure_ascii=False))
