"""Backup and restore of a hub (R-OPS-4; docs/deploy.md, "Backup and restore").

    python -m infra.admin --local backup --to /srv/backup/lgsp-2026-12-01 \
        --passphrase-file /root/lgsp-backup.pass          # secrets sealed (the default)
    python -m infra.admin --local restore --from /srv/backup/lgsp-2026-12-01 \
        --passphrase-file /root/lgsp-backup.pass
    python -m infra.admin reconcile                       # again, once the store answers

A backup is a folder (0700) of the table's copy (`infra/table_dumps.py`), the secrets
(the master keyring, and on the single-machine host its S3 and WebSocket credentials) as
the operator chose, and `manifest.json`: when, which engine, the SHA-256 and size of
every file, counts of units, apps and messages. Content is transient and not backed up:
after a restore, `reconcile` ends the messages whose content is gone.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib import bootstrap
from chalicelib.adapters.topic_local import LocalTopic
from chalicelib.config import Settings, reveal
from chalicelib.services.deps import Deps
from infra import backup_seal, table_dumps
from infra.table_dumps import DumpError, TablePlace

MANIFEST, SEALED = "manifest.json", "secrets.sealed.json"
FORMAT = "lgsp-backup-1"
SECRET_CHOICES = ("sealed", "beside", "none")
BESIDE = {"master_key": "master.key.json", "s3_credentials": "s3-credentials.json",
          "ws_credentials": "ws-credentials.json"}


class BackupRefused(ValueError):
    """A backup or restore that must not go on (the message says why and what to do)."""


@dataclass(frozen=True)
class Places:
    """Where a hub keeps what a backup holds: its table and its secret files."""

    table: TablePlace
    secrets: dict[str, Path] = field(default_factory=dict)
    version: str = ""


def places(local: bool) -> Places:
    """From the hub's settings; `local`: the single-machine host's `var/` (read without
    creating anything, unlike the host's start)."""
    overrides = Settings.from_env().model_dump(exclude_unset=True)
    secrets: dict[str, Path] = {}
    if local:
        from infra.local.backends import HostSettings
        var = HostSettings.from_env(os.environ).var_dir.resolve()
        cfg = Settings.model_validate({"table_backend": "sqlite",
                                       "sqlite_path": str(var / "table.sqlite3"),
                                       "master_key_file": str(var / "master.key.json"),
                                       **overrides})
        secrets = {"s3_credentials": var / "s3-credentials.json",
                   "ws_credentials": var / "ws-credentials.json"}
    else:
        cfg = Settings.model_validate(overrides)
    if cfg.master_key_file:
        secrets["master_key"] = Path(cfg.master_key_file).resolve()
    table = TablePlace(cfg.table_backend, Path(cfg.sqlite_path).resolve(),
                       reveal(cfg.postgres_dsn))
    if cfg.table_backend == "postgres" and not table.dsn:
        raise BackupRefused("LGSP_TABLE_BACKEND=postgres needs LGSP_POSTGRES_DSN")
    return Places(table, secrets, cfg.version)


def add_commands(commands: Any) -> None:
    """The `backup`, `restore` and `reconcile` commands of `python -m infra.admin`."""
    backup = commands.add_parser("backup", help="copy the table and the secrets into a new "
                                 "folder, with a manifest of hashes and counts")
    backup.add_argument("--to", required=True, type=Path, help="a new or empty folder")
    backup.add_argument("--secrets", choices=SECRET_CHOICES, default="sealed",
                        help="sealed (default): sealed with --passphrase-file; beside: "
                             "plain copies (0600); none: left out (kept elsewhere)")
    backup.add_argument("--passphrase-file", help="a file whose first line is the "
                        "passphrase (at least 12 characters)")
    restore = commands.add_parser("restore", help="put a backup back (the hub stopped), "
                                  "then end the messages whose content is gone")
    restore.add_argument("--from", dest="source", required=True, type=Path)
    restore.add_argument("--passphrase-file", help="for a backup with sealed secrets")
    restore.add_argument("--force", action="store_true", help="replace a table that is "
                         "not empty and secret files that differ")
    commands.add_parser("reconcile", help="end the messages whose content the store no "
                        "longer holds (after a restore; a second run changes nothing)")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (0600) through a temporary file beside it, whole or not."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _new_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused(f"{folder} exists and is not empty: back up into a new folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def backup(where: Places, folder: Path, secrets: str, passphrase_file: str | None
           ) -> dict[str, Any]:
    """Copy the table and the secrets into `folder` (new or empty); the manifest."""
    if where.table.backend == "dynamodb":
        raise BackupRefused(table_dumps.DYNAMODB_REFUSAL)
    phrase = backup_seal.read_passphrase(passphrase_file) if secrets == "sealed" else b""
    present = {role: path for role, path in where.secrets.items() if path.exists()}
    _new_folder(folder)
    try:
        table, found = table_dumps.dump(where.table, folder)
        if secrets == "sealed":
            sealed = backup_seal.seal({r: p.read_bytes() for r, p in present.items()}, phrase)
            _write_private(folder / SEALED, json.dumps(sealed).encode())
        elif secrets == "beside":
            for role, path in present.items():
                _write_private(folder / BESIDE[role], path.read_bytes())
        files = sorted(p for p in folder.iterdir() if p.name != MANIFEST)
        manifest = {
            "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "hub_version": where.version, "backend": where.table.backend,
            "schema_version": None,  # the table has no versioned schema yet
            "table_file": table.name, "secrets": secrets, "secret_roles": sorted(present),
            "counts": found,
            "files": {p.name: {"sha256": _sha256(p), "size": p.stat().st_size}
                      for p in files}}
        _write_private(folder / MANIFEST, json.dumps(manifest, indent=2).encode())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-written is left
        raise
    return manifest


def verified_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists has its size and SHA-256."""
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupRefused(f"{folder} holds no readable {MANIFEST}: not a backup of this "
                            "hub, or an unfinished one") from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{folder / MANIFEST} is not in a format this hub knows")
    for name, expected in manifest["files"].items():
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise BackupRefused(f"the backup's file {name} is missing")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupRefused(f"the backup's file {name} does not match its SHA-256 in "
                                f"the manifest: it was changed or damaged; nothing restored")
    return manifest


def _backup_secrets(folder: Path, manifest: dict[str, Any], passphrase_file: str | None
                    ) -> dict[str, bytes]:
    if manifest["secrets"] == "sealed":
        phrase = backup_seal.read_passphrase(passphrase_file)
        return backup_seal.open_sealed(json.loads((folder / SEALED).read_text()), phrase)
    if manifest["secrets"] == "beside":
        return {role: (folder / BESIDE[role]).read_bytes() for role in manifest["secret_roles"]}
    return {}


def restore(where: Places, folder: Path, passphrase_file: str | None, force: bool
            ) -> dict[str, Any]:
    """Check everything, then put the secrets and the table back; what was restored.
    Nothing is touched unless every check passes."""
    manifest = verified_manifest(folder)
    if where.table.backend == "dynamodb":
        raise BackupRefused(table_dumps.DYNAMODB_REFUSAL)
    if manifest["backend"] != where.table.backend:
        raise BackupRefused(f"the backup is of a {manifest['backend']} table and this hub's "
                            f"table is {where.table.backend}")
    secrets = _backup_secrets(folder, manifest, passphrase_file)
    if not force and not table_dumps.is_empty(where.table):
        raise BackupRefused("the table is not empty: restore into an empty table, or give "
                            "--force to replace everything it holds")
    targets = {role: where.secrets[role] for role in secrets if role in where.secrets}
    differing = sorted(role for role, path in targets.items()
                       if path.exists() and path.read_bytes() != secrets[role])
    if differing and not force:
        raise BackupRefused(f"secret files differ from the backup's ({', '.join(differing)}):"
                            " give --force to replace them")
    for role, path in targets.items():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(path, secrets[role])
    table_dumps.restore(where.table, folder / manifest["table_file"])
    restored = table_dumps.counts(where.table)
    if restored != manifest["counts"]:
        raise DumpError(f"the restored table counts {restored}, the backup {manifest['counts']}")
    return {"restored_from": str(folder), "backup_created_at": manifest["created_at"],
            "backend": manifest["backend"], "counts": restored,
            "secrets": {"restored": sorted(targets),
                        "left_out": sorted(set(secrets) - set(targets)),
                        "mode": manifest["secrets"]}}


def telling_now(deps: Deps) -> Deps:
    """`deps` whose in-process topic pushes each event before `publish` returns: a
    command's process ends right after its work, and the host's topic would drop what its
    thread had not pushed yet (SNS, on AWS, is left as it is)."""
    if not isinstance(deps.topic, LocalTopic):
        return deps
    now = dataclasses.replace(deps, topic=LocalTopic())
    bootstrap.subscribe_push(now)
    return now


def run(args: argparse.Namespace, reconcile: Callable[[], dict[str, int]]) -> dict[str, Any]:
    """`backup` or `restore` as parsed; `reconcile` runs the reconcile on the hub's deps
    (after a restore, when the hub's store answers)."""
    where = places(args.local)
    if args.command == "backup":
        manifest = backup(where, args.to, args.secrets, args.passphrase_file)
        return {"backup": str(args.to), **{k: manifest[k] for k in (
            "created_at", "backend", "secrets", "secret_roles", "counts", "files")}}
    from botocore.exceptions import BotoCoreError, ClientError

    report = restore(where, args.source, args.passphrase_file, args.force)
    try:
        report["reconcile"] = reconcile()
    except (BotoCoreError, ClientError) as exc:
        report["reconcile"] = {
            "pending": f"the object store does not answer ({type(exc).__name__}): start "
                       "the hub, then run `python -m infra.admin reconcile`"}
    return report
