"""The master keyring: the keys that seal secrets at rest, by id, one of them current.

A keyring is one JSON object, the same in a key file and in a Secrets Manager secret:

    {"current": "k1", "k1": "<material>", "k202612011200-3f2a": "<material>"}

`current` names the key new secrets are sealed with; every other member is a key id and
its material: base64 of 32 random bytes (what the hub generates), or any random string of
at least 32 characters (what CloudFormation's `GenerateSecretString` makes), from which
the 32-byte key is derived. Secrets sealed under any key of the ring open; a rotation adds
a key, makes it current, re-seals every secret under it, then drops the old keys.

Pure rules only: reading and writing the keyring, and the cryptography, are adapters'.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

CURRENT = "current"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MIN_MATERIAL_CHARS = 32


class KeyringError(RuntimeError):
    """A keyring that cannot be used (bad shape, unreadable, unsafe file, unknown key)."""


@dataclass(frozen=True)
class Keyring:
    """Key ids and their materials; `repr` shows the ids only, never a material."""

    current: str
    materials: Mapping[str, str] = field(repr=False)

    def __post_init__(self) -> None:
        for key_id, material in self.materials.items():
            if key_id == CURRENT or not KEY_ID.match(key_id):
                raise KeyringError(f"bad key id {key_id!r}: letters, digits, '-' and '_' "
                                   f"only (at most 40), and not {CURRENT!r}")
            if not isinstance(material, str) or len(material) < MIN_MATERIAL_CHARS:
                raise KeyringError(f"the material of key {key_id} must be a string of at "
                                   f"least {MIN_MATERIAL_CHARS} random characters")
        if self.current not in self.materials:
            raise KeyringError(f"the current key {self.current!r} is not in the keyring")

    @property
    def ids(self) -> list[str]:
        return sorted(self.materials)

    @classmethod
    def parse(cls, document: object, *, where: str) -> Keyring:
        """A keyring from its JSON object; `where` names the source in the error."""
        if not isinstance(document, dict) or not isinstance(document.get(CURRENT), str):
            raise KeyringError(f"{where} is not a master keyring: expected a JSON object "
                               f'{{"current": "<key id>", "<key id>": "<key>", ...}}')
        materials = {k: v for k, v in document.items() if k != CURRENT}
        try:
            return cls(document[CURRENT], materials)
        except KeyringError as exc:
            raise KeyringError(f"{where}: {exc}") from None

    def document(self) -> dict[str, str]:
        """The JSON object to store (contains every material: write it only to its store)."""
        return {CURRENT: self.current, **dict(sorted(self.materials.items()))}

    def with_key(self, key_id: str, material: str, *, current: bool) -> Keyring:
        if key_id in self.materials:
            raise KeyringError(f"the keyring already has a key {key_id}")
        return Keyring(key_id if current else self.current,
                       {**self.materials, key_id: material})

    def with_current(self, key_id: str) -> Keyring:
        if key_id not in self.materials:
            raise KeyringError(f"the keyring has no key {key_id} (it has {', '.join(self.ids)})")
        return Keyring(key_id, self.materials)

    def only_current(self) -> Keyring:
        """The keyring without every key but the current one (the retired keys)."""
        return Keyring(self.current, {self.current: self.materials[self.current]})


def new_key_id(now: int, suffix: str) -> str:
    """`k` + the UTC minute + a random suffix, e.g. `k202612011200-3f2a`: readable, sorted
    by age, unique."""
    return "k" + time.strftime("%Y%m%d%H%M", time.gmtime(now)) + "-" + suffix
