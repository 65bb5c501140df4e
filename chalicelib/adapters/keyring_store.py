"""Where the master keyring lives: a file (on-prem), a Secrets Manager secret (AWS), or
the one key of `LGSP_MASTER_KEY` (tests and development, never rotated in place).

Each store reads the keyring (`load`) and writes a new one (`save`, a rotation only). The
materials never leave these objects except into the sealer; nothing here logs them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from chalicelib.domain.master_keys import Keyring, KeyringError


class StaticKeyring:
    """One key from configuration: usable, but a rotation must move it into a keyring
    file or secret first."""

    where = "LGSP_MASTER_KEY"

    def __init__(self, material: str) -> None:
        self._ring = Keyring("default", {"default": material})

    def load(self) -> Keyring:
        return self._ring

    def save(self, keyring: Keyring) -> None:
        raise KeyringError("LGSP_MASTER_KEY is one fixed key for tests and development and "
                           "cannot be rotated: keep the keys in a keyring file "
                           "(LGSP_MASTER_KEY_FILE) or secret (LGSP_MASTER_KEY_SECRET)")


class KeyringFile:
    """A JSON keyring file that only the hub's user may read: refused, naming the file, if
    its mode lets the group or others in or another user owns it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.where = str(self.path)

    def check(self) -> os.stat_result:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise KeyringError(f"the master key file {self.path} does not exist") from None
        if info.st_uid != os.geteuid():
            raise KeyringError(f"the master key file {self.path} is owned by uid "
                               f"{info.st_uid}, not by this process's user ({os.geteuid()})")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise KeyringError(f"the master key file {self.path} has mode "
                               f"{stat.S_IMODE(info.st_mode):04o}: it must be 0600 or "
                               f"stricter (chmod 600 {self.path})")
        return info

    def load(self) -> Keyring:
        self.check()
        try:
            document = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise KeyringError(f"the master key file {self.path} cannot be read as JSON: "
                               f"{type(exc).__name__}") from None
        return Keyring.parse(document, where=str(self.path))

    def save(self, keyring: Keyring) -> None:
        """Replace the file atomically (a reader sees the old ring or the new one)."""
        fresh = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(keyring.document(), out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(fresh, self.path)
        except BaseException:
            fresh.unlink(missing_ok=True)
            raise

    @classmethod
    def create(cls, path: str | Path, keyring: Keyring) -> KeyringFile:
        """A new keyring file, mode 0600 (fails if the file exists)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(keyring.document(), out)
        return cls(path)


class SecretsManagerKeyring:
    """The keyring as the JSON string of a Secrets Manager secret. A save is a new version
    of the secret (it becomes AWSCURRENT); functions read it with GetSecretValue only."""

    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self.where = f"secret {secret_id}"
        self._secret_id = secret_id

    def load(self) -> Keyring:
        from botocore.exceptions import ClientError

        try:
            value = self._client.get_secret_value(SecretId=self._secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise KeyringError(f"the master keyring {self.where} cannot be read ({code})") \
                from None
        try:
            document = json.loads(value.get("SecretString") or "")
        except ValueError:
            raise KeyringError(f"the master keyring {self.where} is not JSON") from None
        return Keyring.parse(document, where=self.where)

    def save(self, keyring: Keyring) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client.put_secret_value(SecretId=self._secret_id,
                                          SecretString=json.dumps(keyring.document()))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise KeyringError(f"the master keyring {self.where} cannot be written "
                               f"({code})") from None


def make_secretsmanager_client(*, region: str, endpoint_url: str | None = None
                               ) -> Any:
    import boto3

    return boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
