"""Backup and restore of a PostgreSQL table through `python -m infra.admin` (pg_dump and
pg_restore of the server's major version) on a real server: the table comes back whole
into an empty database, a database that is not empty is refused, and the DSN (it may
hold a password) is never shown."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from chalicelib.adapters.table_postgres import PostgresTable
from infra import admin
from infra.local.processes import free_port
from tests.support.postgres_fixture import fresh_database

PASSWORD = "mat-khau-khong-duoc-lo"


def with_password(dsn: str) -> str:
    """The server trusts loopback, so a password is accepted and ignored: enough to see
    that it never shows."""
    return dsn.replace("://lgsp@", f"://lgsp:{PASSWORD}@")


@pytest.fixture
def pg_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database: str) -> str:
    keyring = tmp_path / "master.key.json"
    keyring.write_text(json.dumps({"current": "k1",
                                   "k1": base64.b64encode(os.urandom(32)).decode()}))
    keyring.chmod(0o600)
    dsn = with_password(postgres_database)
    for name, value in {"LGSP_TABLE_BACKEND": "postgres", "LGSP_POSTGRES_DSN": dsn,
                        "LGSP_MASTER_KEY_FILE": str(keyring), "LGSP_MASTER_KEY": "",
                        "LGSP_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",  # not started
                        "LGSP_S3_ACCESS_KEY": "k", "LGSP_S3_SECRET_KEY": "s"}.items():
        monkeypatch.setenv(name, value)
    return dsn


def items(dsn: str) -> list[dict[str, object]]:
    table = PostgresTable(dsn)
    try:
        return [i for pk in ("UNIT#1", "MSG#a") for i in table.query(pk, limit=100).items]
    finally:
        table.close()


def test_a_postgres_table_is_backed_up_and_restored_without_showing_its_dsn(
        pg_env: str, postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    table = PostgresTable(pg_env)
    table.put({"pk": "UNIT#1", "sk": "META", "name": "Sở Tài chính"})
    table.put({"pk": "MSG#a", "sk": "META", "state": "completed", "size": 3})
    table.put({"pk": "MSG#a", "sk": "EVT#1", "event": "requested"})
    table.close()
    before = items(pg_env)
    folder = tmp_path / "backup"

    assert admin.main(["backup", "--to", str(folder), "--secrets", "beside"]) == 0
    out, err = capsys.readouterr()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["backend"] == "postgres" and set(manifest["files"]) == {
        "table.pgdump", "master.key.json"}
    assert manifest["counts"] == {"units": 1, "apps": 0, "messages": 1}

    assert admin.main(["restore", "--from", str(folder)]) == 1  # the same, not empty
    refused = capsys.readouterr()
    assert "the table is not empty" in refused.err

    target = with_password(fresh_database(postgres_dsn))
    monkeypatch.setenv("LGSP_POSTGRES_DSN", target)
    assert admin.main(["restore", "--from", str(folder)]) == 0
    done = capsys.readouterr()
    restored = json.loads(done.out)
    assert restored["counts"] == manifest["counts"]
    assert "python -m infra.admin reconcile" in restored["reconcile"]["pending"]
    assert items(target) == before
    shown = out + err + refused.out + refused.err + done.out + done.err
    assert PASSWORD not in shown and pg_env not in shown
    assert PASSWORD not in (folder / "manifest.json").read_text()
