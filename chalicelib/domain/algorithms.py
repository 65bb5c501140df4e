"""The signature algorithms the regulation names (R-COMP-4): HMAC-SHA256, HMAC-SHA1, RSA.

RSA and HMAC-SHA256 come from `http-message-signatures`; HMAC-SHA1 is not in RFC 9421's
registry, so it is added here as a custom algorithm the library accepts. It is weak and
allowed only for apps an operator flagged legacy.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from .algorithm_ids import (
    ASYMMETRIC,
    HMAC_SHA1,
    HMAC_SHA256,
    LEGACY_ONLY,
    MIN_RSA_BITS,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
)
from .errors import InvalidRequestError

__all__ = ["ALGORITHMS", "ASYMMETRIC", "HMAC_SHA1", "HMAC_SHA256", "LEGACY_ONLY", "HmacSha1",
           "MIN_RSA_BITS", "RSA_PSS_SHA512", "RSA_V1_5_SHA256", "public_key_pem"]


class HmacSha1(algorithms.HTTPSignatureAlgorithm):
    """HMAC with SHA-1 for legacy agency systems (the regulation requires it)."""

    algorithm_id = HMAC_SHA1

    def __init__(self, public_key: Any = None, private_key: Any = None) -> None:
        key = public_key if public_key is not None else private_key
        if not isinstance(key, bytes) or not key:
            raise HTTPMessageSignaturesException("HMAC keys must be non-empty bytes")
        self._key = key

    def sign(self, message: bytes) -> bytes:
        mac = hmac.HMAC(self._key, hashes.SHA1())  # noqa: S303 - legacy apps only
        mac.update(message)
        return mac.finalize()

    def verify(self, signature: bytes, message: bytes) -> None:
        mac = hmac.HMAC(self._key, hashes.SHA1())  # noqa: S303 - legacy apps only
        mac.update(message)
        try:
            mac.verify(signature)
        except InvalidSignature as exc:
            raise HTTPMessageSignaturesException("HMAC-SHA1 signature mismatch") from exc


ALGORITHMS: dict[str, type[algorithms.HTTPSignatureAlgorithm]] = {
    HMAC_SHA256: algorithms.HMAC_SHA256,
    HMAC_SHA1: HmacSha1,
    RSA_PSS_SHA512: algorithms.RSA_PSS_SHA512,
    RSA_V1_5_SHA256: algorithms.RSA_V1_5_SHA256,
}


def public_key_pem(text: str) -> bytes:
    """An app's RSA public key given as PEM or as a JWK (JSON), returned as PEM.

    The hub never sees private keys: a private key given by mistake is refused.
    """
    from jwt.algorithms import RSAAlgorithm
    from jwt.exceptions import InvalidKeyError

    text = text.strip()
    try:
        if text.startswith("{"):
            key: Any = RSAAlgorithm.from_jwk(json.loads(text))
        else:
            if "PRIVATE KEY" in text:
                raise ValueError("private key")
            key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError, KeyError, InvalidKeyError) as exc:
        raise InvalidRequestError("The public key must be an RSA public key as PEM or JWK.",
                                  code="invalid_public_key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidRequestError("Only RSA public keys are accepted (PEM or JWK), never a "
                                  "private key.", code="invalid_public_key")
    if key.key_size < MIN_RSA_BITS:
        raise InvalidRequestError(f"RSA keys must have at least {MIN_RSA_BITS} bits.",
                                  code="invalid_public_key")
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
