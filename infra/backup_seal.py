"""The secrets of a backup sealed with the operator's passphrase (`--secrets sealed`).

A key is derived from the passphrase with scrypt (a fresh salt per backup; its cost
parameters are written beside the ciphertext so a later, costlier default still opens
old backups), then the secret files are sealed together with AES-256-GCM, which also
detects any change to the sealed file or a wrong passphrase. Both come from
`cryptography`, as the hub's own sealing does (`chalicelib/adapters/secretbox.py`).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "lgsp-sealed-secrets-1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1  # ~32 MiB and a fraction of a second
MIN_PASSPHRASE = 12
_AAD = FORMAT.encode()


class SealError(ValueError):
    """A passphrase that is missing, too short, or does not open the sealed secrets."""


def read_passphrase(path: str | None) -> bytes:
    """The passphrase in `path` (its first line), refused if missing or too short."""
    if not path:
        raise SealError("sealed secrets need --passphrase-file (or choose --secrets beside "
                        "or --secrets none)")
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise SealError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    phrase = lines[0].strip() if lines else b""
    if len(phrase) < MIN_PASSPHRASE:
        raise SealError(f"the passphrase in {path} is shorter than {MIN_PASSPHRASE} "
                        "characters")
    return phrase


def _key(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def seal(files: dict[str, bytes], passphrase: bytes) -> dict[str, Any]:
    """`files` (role -> bytes) sealed under `passphrase`: a JSON-ready document."""
    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps({role: _b64(data) for role, data in files.items()}).encode()
    key = _key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return {"format": FORMAT, "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R,
                                      "p": SCRYPT_P, "salt": _b64(salt), "length": 32},
            "cipher": "AES-256-GCM", "nonce": _b64(nonce),
            "ciphertext": _b64(AESGCM(key).encrypt(nonce, plain, _AAD))}


def open_sealed(doc: dict[str, Any], passphrase: bytes) -> dict[str, bytes]:
    """The files `seal` sealed; `SealError` for a wrong passphrase or a changed file."""
    if doc.get("format") != FORMAT or doc.get("kdf", {}).get("name") != "scrypt":
        raise SealError("the sealed secrets are not in a format this hub knows")
    kdf = doc["kdf"]
    key = _key(passphrase, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]),
               int(kdf["p"]))
    try:
        plain = AESGCM(key).decrypt(base64.b64decode(doc["nonce"]),
                                    base64.b64decode(doc["ciphertext"]), _AAD)
    except InvalidTag:
        raise SealError("the passphrase does not open the backup's sealed secrets") from None
    return {role: base64.b64decode(data) for role, data in json.loads(plain).items()}
