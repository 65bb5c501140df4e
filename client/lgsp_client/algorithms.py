"""The signature algorithms the hub accepts, and the key material each one signs with.

HMAC-SHA256 and the two RSA algorithms come from `http-message-signatures`; HMAC-SHA1 is
not in RFC 9421's registry, so it is defined here (the hub allows it for legacy apps only).
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from lgsp_client.errors import ConfigError

HMAC_SHA256, HMAC_SHA1 = "hmac-sha256", "hmac-sha1"
RSA_PSS_SHA512, RSA_V1_5_SHA256 = "rsa-pss-sha512", "rsa-v1_5-sha256"
DEFAULT_ALGORITHM = HMAC_SHA256
RSA_ALGORITHMS = (RSA_PSS_SHA512, RSA_V1_5_SHA256)


class HmacSha1(algorithms.HTTPSignatureAlgorithm):
    """HMAC with SHA-1, for apps the hub flagged legacy."""

    algorithm_id = HMAC_SHA1

    def __init__(self, public_key: Any = None, private_key: Any = None) -> None:
        key = private_key if private_key is not None else public_key
        if not isinstance(key, bytes) or not key:
            raise HTTPMessageSignaturesException("HMAC keys must be non-empty bytes")
        self._key = key

    def _mac(self, message: bytes) -> hmac.HMAC:
        mac = hmac.HMAC(self._key, hashes.SHA1())  # noqa: S303 - legacy apps only
        mac.update(message)
        return mac

    def sign(self, message: bytes) -> bytes:
        return self._mac(message).finalize()

    def verify(self, signature: bytes, message: bytes) -> None:
        try:
            self._mac(message).verify(signature)
        except InvalidSignature as exc:
            raise HTTPMessageSignaturesException("HMAC-SHA1 signature mismatch") from exc


ALGORITHMS: dict[str, type[algorithms.HTTPSignatureAlgorithm]] = {
    HMAC_SHA256: algorithms.HMAC_SHA256,
    HMAC_SHA1: HmacSha1,
    RSA_PSS_SHA512: algorithms.RSA_PSS_SHA512,
    RSA_V1_5_SHA256: algorithms.RSA_V1_5_SHA256,
}


def check_algorithm(name: str) -> str:
    """The algorithm name, lower-cased, if the hub knows it; `ConfigError` otherwise."""
    value = name.strip().lower()
    if value not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {name!r}: use one of "
                          f"{', '.join(sorted(ALGORITHMS))}")
    return value


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key from PEM (PKCS8 or PKCS1)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError("the private key file is not an unencrypted PEM private key") \
            from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the private key must be an RSA key")
    return key


def signing_key(algorithm: str, *, secret_key: str | None,
                private_key: bytes | rsa.RSAPrivateKey | None) -> bytes | rsa.RSAPrivateKey:
    """What the signer needs for `algorithm`: the HMAC secret's bytes or an RSA key."""
    algorithm = check_algorithm(algorithm)
    if algorithm in RSA_ALGORITHMS:
        if private_key is None:
            raise ConfigError(f"{algorithm} needs a private key (LGSP_PRIVATE_KEY_FILE or "
                              "private_key_file in the profile)")
        return load_private_key(private_key) if isinstance(private_key, bytes) else private_key
    if not secret_key:
        raise ConfigError(f"{algorithm} needs a secret key (LGSP_SECRET_KEY or secret_key "
                          "in the profile)")
    return secret_key.encode()
