"""Secrets at rest: AES-256-GCM envelope encryption under a keyring of master keys.

Each secret gets its own random data key; the data key is wrapped by a master key. The
`context` (e.g. the access key id) is bound as associated data, so a sealed secret copied
onto another item does not open. An envelope names the master key that sealed it:

    v2.<key id>.<key nonce>.<wrapped data key>.<data nonce>.<ciphertext>

`v1` envelopes (written before master keys had ids, always under the one
`LGSP_MASTER_KEY`) name none: they are opened by trying each key of the ring, which GCM's
tag makes safe (a wrong key fails, it never yields wrong bytes). A rotation re-seals every
`v1` envelope as `v2`.

The keyring comes from a `load` function (a key file, a Secrets Manager secret): read once,
again when an envelope names a key the cached ring lacks (a rotation done by another
process), and again before each seal, so new secrets always go under the key the source
names current now. Seals are rare (a key issued, a hub key made); opens use the cache.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib.domain.master_keys import Keyring

V1, V2 = "v1", "v2"
_HKDF_INFO = b"lgsp master key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SealedSecretError(Exception):
    """A sealed secret could not be opened (wrong master key, context or tampering)."""


def derive_key(material: str) -> bytes:
    """The 32-byte AES key of a keyring material: base64 of 32 bytes is the key itself;
    any other (random, >= 32 characters) string goes through HKDF-SHA256."""
    if len(material) == 44:
        try:
            raw = base64.b64decode(material, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) == 32:
            return raw
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_HKDF_INFO).derive(material.encode())


def single_key(master_key: bytes) -> Callable[[], Keyring]:
    """A keyring of one raw 32-byte key (tests, development)."""
    if len(master_key) != 32:
        raise ValueError("the master key must be 32 bytes")
    ring = Keyring("default", {"default": base64.b64encode(master_key).decode()})
    return lambda: ring


class AesGcmSealer:
    """Seals under the current master key, opens under whichever key an envelope names."""

    def __init__(self, keys: bytes | Callable[[], Keyring]) -> None:
        self._load = single_key(keys) if isinstance(keys, bytes) else keys
        self._lock = threading.Lock()
        self._ring: Keyring | None = None
        self._aead: dict[str, AESGCM] = {}

    @classmethod
    def from_b64(cls, text: str) -> AesGcmSealer:
        return cls(base64.b64decode(text))

    def _reload(self) -> Keyring:
        ring = self._load()
        with self._lock:
            self._ring = ring
            self._aead = {kid: AESGCM(derive_key(m)) for kid, m in ring.materials.items()}
        return ring

    def _keys(self) -> tuple[Keyring, dict[str, AESGCM]]:
        with self._lock:
            ring, aead = self._ring, self._aead
        if ring is None:
            ring = self._reload()
            with self._lock:
                aead = self._aead
        return ring, aead

    def _key(self, key_id: str) -> AESGCM | None:
        """The key of `key_id`, reloading the keyring once if the cached one lacks it."""
        found = self._keys()[1].get(key_id)
        if found is None:
            self._reload()
            found = self._keys()[1].get(key_id)
        return found

    def current_key_id(self) -> str:
        return self._keys()[0].current

    def seal(self, plaintext: bytes, context: str) -> str:
        ring = self._reload()
        return self._seal_with(ring.current, plaintext, context)

    def _seal_with(self, key_id: str, plaintext: bytes, context: str) -> str:
        master = self._key(key_id)
        if master is None:
            raise SealedSecretError(f"the keyring has no master key {key_id}")
        data_key = AESGCM.generate_key(bit_length=256)
        key_nonce, data_nonce = os.urandom(12), os.urandom(12)
        wrapped = master.encrypt(key_nonce, data_key, context.encode())
        body = AESGCM(data_key).encrypt(data_nonce, plaintext, context.encode())
        return ".".join([V2, key_id, _b64(key_nonce), _b64(wrapped), _b64(data_nonce),
                         _b64(body)])

    def open(self, sealed: str, context: str) -> bytes:
        parts = sealed.split(".")
        if parts[0] == V2 and len(parts) == 6:
            master = self._key(parts[1])
            if master is None:
                raise SealedSecretError(f"sealed under master key {parts[1]}, which the "
                                        f"keyring no longer holds")
            return self._open_with([master], parts[2:], context)
        if parts[0] == V1 and len(parts) == 5:
            return self._open_with(list(self._keys()[1].values()), parts[1:], context)
        raise SealedSecretError("unknown sealed secret version")

    @staticmethod
    def _open_with(masters: list[AESGCM], parts: list[str], context: str) -> bytes:
        key_nonce, wrapped, data_nonce, body = parts
        for master in masters:
            try:
                data_key = master.decrypt(_unb64(key_nonce), _unb64(wrapped), context.encode())
                return AESGCM(data_key).decrypt(_unb64(data_nonce), _unb64(body),
                                                context.encode())
            except (ValueError, InvalidTag):
                continue
        raise SealedSecretError("the sealed secret could not be opened")

    def key_id_of(self, sealed: str) -> str | None:
        """The master key id an envelope names (None for `v1`, which names none)."""
        parts = sealed.split(".")
        return parts[1] if parts[0] == V2 and len(parts) == 6 else None

    def reseal(self, sealed: str, context: str, key_id: str) -> str | None:
        """`sealed` sealed again under master key `key_id`, or None if it already is."""
        if self.key_id_of(sealed) == key_id:
            return None
        return self._seal_with(key_id, self.open(sealed, context), context)
