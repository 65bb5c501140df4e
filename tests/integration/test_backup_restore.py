"""`python -m infra.admin backup` / `restore` (R-OPS-4; docs/deploy.md, "Backup and
restore") on a SQLite table in a temporary folder, with the store on moto: what is
refused leaves everything as it was, and what is restored opens with the old keys."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters.objects_s3 import ensure_bucket, make_s3_client
from chalicelib.config import Settings
from infra import admin

IT = "000.00.00.H30"
PASSPHRASE = "mot cau rat dai va bi mat"


@pytest.fixture
def hub_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A hub's settings on SQLite with a keyring file, the store on moto, one operator."""
    keyring = tmp_path / "hub" / "master.key.json"
    keyring.parent.mkdir()
    keyring.write_text(json.dumps({"current": "k1",
                                   "k1": base64.b64encode(os.urandom(32)).decode()}))
    keyring.chmod(0o600)
    table = tmp_path / "hub" / "table.sqlite3"
    env = {"LGSP_TABLE_BACKEND": "sqlite", "LGSP_SQLITE_PATH": str(table),
           "LGSP_MASTER_KEY_FILE": str(keyring), "LGSP_MASTER_KEY": "",
           "LGSP_OPERATOR_UNITS": "", "LGSP_BUCKET": "lgsp-backup-test",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "LGSP_S3_REGION": "us-east-1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n")
    with mock_aws():
        ensure_bucket(make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                                     secret_key=None, path_style=False), "lgsp-backup-test")
        yield {"table": table, "keyring": keyring, "pass": pass_file, "tmp": tmp_path}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = admin.main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def operator(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, creds, _ = run(capsys, "bootstrap", "--unit", IT, "--name", "Sở TT&TT")
    assert code == 0
    return dict(creds)


def backed_up(capsys: pytest.CaptureFixture[str], paths: dict[str, Path], *extra: str
              ) -> Path:
    folder = paths["tmp"] / "backup"
    code, shown, err = run(capsys, "backup", "--to", str(folder), *extra)
    assert code == 0, err
    assert shown["counts"] == {"units": 1, "apps": 1, "messages": 0}
    return folder


def destroy(paths: dict[str, Path]) -> None:
    for path in paths["table"].parent.glob("table.sqlite3*"):
        path.unlink()
    paths["keyring"].unlink()


def test_a_sealed_backup_restores_the_table_and_the_keys_that_open_its_secrets(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    creds = operator(capsys)
    folder = backed_up(capsys, hub_env, "--passphrase-file", str(hub_env["pass"]))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json", "secrets.sealed.json", "table.sqlite3"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert hub_env["keyring"].read_bytes() not in (folder / "secrets.sealed.json").read_bytes()
    keyring = hub_env["keyring"].read_bytes()
    destroy(hub_env)

    code, shown, err = run(capsys, "restore", "--from", str(folder),
                           "--passphrase-file", str(hub_env["pass"]))

    assert code == 0, err
    assert shown["counts"] == {"units": 1, "apps": 1, "messages": 0}
    assert shown["secrets"]["restored"] == ["master_key"]
    assert shown["reconcile"]["messages_checked"] == 0 and shown["reconcile"]["units"] == 1
    assert hub_env["keyring"].read_bytes() == keyring
    assert stat.S_IMODE(hub_env["keyring"].stat().st_mode) == 0o600
    deps = bootstrap.build(Settings.from_env())
    key = deps.table.get(f"KEY#{creds['access_key']}", "META")
    assert deps.sealer.open(key["secret_sealed"], creds["access_key"]).decode() == \
        creds["secret_key"]


def test_a_backup_into_a_folder_that_is_not_empty_is_refused(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys)
    folder = hub_env["tmp"] / "used"
    folder.mkdir()
    (folder / "old.txt").write_text("x")
    code, _, err = run(capsys, "backup", "--to", str(folder), "--secrets", "none")
    assert code == 1 and "is not empty" in err
    assert [p.name for p in folder.iterdir()] == ["old.txt"]
    code, _, err = run(capsys, "backup", "--to", str(hub_env["tmp"] / "new"))
    assert code == 1 and "--passphrase-file" in err  # sealed is the default
    assert not (hub_env["tmp"] / "new").exists()


def test_a_restore_into_a_table_that_is_not_empty_is_refused_without_force(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys)
    folder = backed_up(capsys, hub_env, "--secrets", "beside")
    before = hub_env["table"].read_bytes()

    code, _, err = run(capsys, "restore", "--from", str(folder))

    assert code == 1 and "the table is not empty" in err and "--force" in err
    assert hub_env["table"].read_bytes() == before
    code, shown, err = run(capsys, "restore", "--from", str(folder), "--force")
    assert code == 0, err
    assert shown["counts"]["units"] == 1


def test_a_tampered_file_is_refused_by_its_hash_before_anything_is_touched(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys)
    folder = backed_up(capsys, hub_env, "--secrets", "beside")
    copy = folder / "table.sqlite3"
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0x01
    copy.write_bytes(bytes(data))
    destroy(hub_env)
    (folder / "master.key.json").write_text(json.dumps({"current": "k9", "k9": "AAAA"}))

    code, _, err = run(capsys, "restore", "--from", str(folder))

    assert code == 1 and "does not match its SHA-256" in err and "nothing restored" in err
    assert not hub_env["keyring"].exists()
    assert not list(hub_env["table"].parent.glob("table.sqlite3*"))


def test_sealed_secrets_with_a_wrong_passphrase_are_refused(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys)
    folder = backed_up(capsys, hub_env, "--passphrase-file", str(hub_env["pass"]))
    destroy(hub_env)
    wrong = hub_env["tmp"] / "wrong"
    wrong.write_text("not the passphrase at all\n")

    code, _, err = run(capsys, "restore", "--from", str(folder), "--passphrase-file",
                       str(wrong))

    assert code == 1 and "passphrase does not open" in err
    assert not hub_env["keyring"].exists()
    assert not list(hub_env["table"].parent.glob("table.sqlite3*"))


def test_differing_secret_files_are_kept_unless_forced(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys)
    folder = backed_up(capsys, hub_env, "--secrets", "beside")
    for path in hub_env["table"].parent.glob("table.sqlite3*"):
        path.unlink()
    other = json.dumps({"current": "k2", "k2": base64.b64encode(os.urandom(32)).decode()})
    hub_env["keyring"].write_text(other)

    code, _, err = run(capsys, "restore", "--from", str(folder))

    assert code == 1 and "master_key" in err
    assert hub_env["keyring"].read_text() == other
    assert not hub_env["table"].exists()


def test_dynamodb_is_refused_with_the_way_to_recover_it(
        hub_env: dict[str, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_TABLE_BACKEND", "dynamodb")
    code, _, err = run(capsys, "backup", "--to", str(hub_env["tmp"] / "b"), "--secrets",
                       "none")
    assert code == 1 and "point-in-time recovery" in err and "docs/deploy.md" in err
    assert not (hub_env["tmp"] / "b").exists()
