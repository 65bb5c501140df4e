"""Secrets at rest: AES-256-GCM envelope encryption under a master key.

Each secret gets its own random data key; the data key is wrapped by the master key
(locally from configuration; a KMS-backed sealer can implement the same port). The
`context` (e.g. the access key id) is bound as associated data, so a sealed secret copied
onto another item does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SealedSecretError(Exception):
    """A sealed secret could not be opened (wrong master key, context or tampering)."""


class AesGcmSealer:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._master = AESGCM(master_key)

    @classmethod
    def from_b64(cls, text: str) -> AesGcmSealer:
        return cls(base64.b64decode(text))

    def seal(self, plaintext: bytes, context: str) -> str:
        data_key = AESGCM.generate_key(bit_length=256)
        key_nonce, data_nonce = os.urandom(12), os.urandom(12)
        wrapped = self._master.encrypt(key_nonce, data_key, context.encode())
        body = AESGCM(data_key).encrypt(data_nonce, plaintext, context.encode())
        return ".".join([_VERSION, _b64(key_nonce), _b64(wrapped), _b64(data_nonce), _b64(body)])

    def open(self, sealed: str, context: str) -> bytes:
        try:
            version, key_nonce, wrapped, data_nonce, body = sealed.split(".")
            if version != _VERSION:
                raise SealedSecretError("unknown sealed secret version")
            data_key = self._master.decrypt(_unb64(key_nonce), _unb64(wrapped), context.encode())
            return AESGCM(data_key).decrypt(_unb64(data_nonce), _unb64(body), context.encode())
        except (ValueError, InvalidTag) as exc:
            raise SealedSecretError("the sealed secret could not be opened") from exc
