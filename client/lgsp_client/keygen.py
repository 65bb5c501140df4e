"""Local RSA key pairs for apps that sign with RSA: the private key never leaves this
machine; the hub is given only the public key (PEM or JWK)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lgsp_client.errors import ConfigError

RSA_BITS = 3072


@dataclass(frozen=True)
class KeyFiles:
    private_key: Path
    public_key: Path
    jwk: Path


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    """The RFC 7517 JWK of an RSA public key."""
    numbers = key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode` from the start; never overwrite an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; choose another --out prefix") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def generate_rsa(prefix: str | Path, *, bits: int = RSA_BITS) -> KeyFiles:
    """Write PREFIX.key (PKCS8 PEM, mode 0600), PREFIX.pub (PEM) and PREFIX.jwk."""
    base = Path(prefix)
    files = KeyFiles(base.with_name(base.name + ".key"), base.with_name(base.name + ".pub"),
                     base.with_name(base.name + ".jwk"))
    taken = [str(p) for p in (files.private_key, files.public_key, files.jwk) if p.exists()]
    if taken:
        raise ConfigError(f"{', '.join(taken)} already exist(s); choose another --out prefix")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    _write_new(files.private_key, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    _write_new(files.public_key, key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    _write_new(files.jwk, (json.dumps(public_jwk(key.public_key())) + "\n").encode(), 0o644)
    return files
