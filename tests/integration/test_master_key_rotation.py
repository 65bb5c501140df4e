"""Rotating the master keys without downtime (R-COMP-4: secrets encrypted at rest): a
new key becomes current, every sealed secret (apps' HMAC secrets, the hub's signing keys)
is sealed again under it, the old key is dropped; the hub that was running all along, its
keyring cached from before, keeps authenticating every app; what the old key sealed no
longer opens. On SQLite with a key file, and on DynamoDB with a Secrets Manager secret."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.keyring_store import KeyringFile, SecretsManagerKeyring
from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.secretbox import AesGcmSealer, SealedSecretError
from chalicelib.adapters.system import SystemClock
from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.master_keys import Keyring, KeyringError
from chalicelib.domain.ports import KeyringStore, Update
from chalicelib.services import hub_signing, master_keys
from chalicelib.services.deps import Deps
from infra import admin
from tests.support.fakes import FakeClock
from tests.support.hub import World, make_deps, world

GENERATED = "Zq7" * 21 + "x"  # like CloudFormation's GenerateSecretString: 64 characters


def _sealed(deps: Deps) -> dict[str, tuple[str, str]]:
    """Every sealed value of the table by item, with its context."""
    return {s.item["pk"]: (s.item[s.attribute], s.context)
            for s in master_keys.sealed_secrets(deps)}


def _everyone_authenticates(hub: World) -> None:
    for client in (hub.a, hub.b, hub.c):
        assert client.get("/v1/inbox").status == 200
    assert hub_signing.current_key(hub.deps).private_pem.startswith(b"-----BEGIN")


def _check_rotated(hub: World, store: KeyringStore, before: dict[str, tuple[str, str]],
                   old_key: str) -> None:
    ring = store.load()
    assert ring.ids == [ring.current] and ring.current != old_key
    after = _sealed(hub.deps)
    assert after.keys() == before.keys() and len(after) == 4  # 3 app keys + 1 hub key
    assert {hub.deps.sealer.key_id_of(v) for v, _ in after.values()} == {ring.current}
    _everyone_authenticates(hub)  # the running hub, its keyring cached before the rotation
    fresh = AesGcmSealer(store.load)
    for value, context in before.values():
        with pytest.raises(SealedSecretError):
            fresh.open(value, context)  # the retired key is gone


# -- SQLite, the keyring in a 0600 file --------------------------------------------------

@pytest.fixture
def file_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    path = tmp_path / "master.key.json"
    KeyringFile.create(path, Keyring("k1", {"k1": base64.b64encode(os.urandom(32)).decode()}))
    for name, value in {"LGSP_TABLE_BACKEND": "sqlite", "LGSP_MASTER_KEY": "",
                        "LGSP_SQLITE_PATH": str(tmp_path / "t.sqlite3"),
                        "LGSP_MASTER_KEY_FILE": str(path)}.items():
        monkeypatch.setenv(name, value)
    s3 = make_s3_client(endpoint_url="http://127.0.0.1:9", region="us-east-1",
                        access_key="x", secret_key="y", path_style=True)  # never called
    deps = make_deps(SqliteTable(str(tmp_path / "t.sqlite3")), S3ObjectStore(s3, "b"),
                     SystemClock())  # type: ignore[arg-type]
    deps = dataclasses.replace(deps, sealer=AesGcmSealer(KeyringFile(path).load))
    yield from world(deps)


def test_rotate_on_sqlite_with_a_key_file(file_hub: World, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    hub_signing.current_key(file_hub.deps)
    _everyone_authenticates(file_hub)  # caches the keyring as it is before
    before = _sealed(file_hub.deps)
    assert admin.main(["master-key", "rotate", "--grace-seconds", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["resealed"] == 4 and report["retired"] == ["k1"]
    _check_rotated(file_hub, KeyringFile(tmp_path / "master.key.json"), before, "k1")
    assert admin.main(["master-key", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["sealed_by_key"] == {status["current"]: 4}
    assert GENERATED not in json.dumps(status) and "k1" not in status["keys"]


def test_a_change_an_app_makes_meanwhile_is_not_lost(file_hub: World, tmp_path: Path) -> None:
    """The re-seal writes only the sealed value, on the condition that it is still the one
    read: a key revoked while the rotation walks the table stays revoked."""
    deps = file_hub.deps
    target = f"KEY#{file_hub.a.creds.access_key}"
    real = deps.table

    class RevokedMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def update(self, op: Update) -> Any:
            if op.pk == target:
                real.update(Update(op.pk, op.sk, set={"status": "revoked"}))
            return real.update(op)

    racing = dataclasses.replace(deps, table=RevokedMeanwhile())  # type: ignore[arg-type]
    store = KeyringFile(tmp_path / "master.key.json")
    report = master_keys.rotate(racing, store)
    assert report.resealed == 3 and report.retired == ["k1"]
    item = deps.table.get(target, "META")
    assert item["status"] == "revoked"
    assert deps.sealer.key_id_of(item["secret_sealed"]) == report.key_id


def test_a_secret_sealed_again_meanwhile_is_read_again_not_overwritten(
        file_hub: World, tmp_path: Path) -> None:
    deps = file_hub.deps
    target = f"KEY#{file_hub.b.creds.access_key}"
    real = deps.table
    store = KeyringFile(tmp_path / "master.key.json")
    new_id = master_keys.add_key(deps, store, current=True)
    item = real.get(target, "META")
    sealed_meanwhile = deps.sealer.reseal(item["secret_sealed"], item["key_id"], new_id)

    class SealedMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def update(self, op: Update) -> Any:
            if op.pk == target and real.get(target, "META")["secret_sealed"] != \
                    sealed_meanwhile:
                real.update(Update(op.pk, op.sk, set={"secret_sealed": sealed_meanwhile}))
            return real.update(op)

    racing = dataclasses.replace(deps, table=SealedMeanwhile())  # type: ignore[arg-type]
    assert master_keys.reseal_all(racing, new_id) == 2  # a and c; b was done meanwhile
    assert real.get(target, "META")["secret_sealed"] == sealed_meanwhile
    assert file_hub.b.get("/v1/inbox").status == 200


def test_adding_first_then_rotating_to_it_then_retiring(file_hub: World, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """Several machines with a copy of the key file each: the new key is known everywhere
    before anything is sealed under it, and the old key is dropped last."""
    store = KeyringFile(tmp_path / "master.key.json")
    hub_signing.current_key(file_hub.deps)
    before = _sealed(file_hub.deps)
    assert admin.main(["master-key", "add"]) == 0
    added = json.loads(capsys.readouterr().out)["added"]
    assert store.load().current == "k1" and added in store.load().ids
    assert admin.main(["master-key", "rotate", "--to", added, "--keep-old"]) == 0
    assert json.loads(capsys.readouterr().out)["retired"] == []
    assert store.load().ids == sorted(["k1", added])
    _everyone_authenticates(file_hub)
    assert admin.main(["master-key", "retire"]) == 0
    assert json.loads(capsys.readouterr().out)["retired"] == ["k1"]
    _check_rotated(file_hub, store, before, "k1")


def test_one_rotation_at_a_time(file_hub: World, capsys: pytest.CaptureFixture[str]) -> None:
    lease = master_keys.acquire(file_hub.deps, "elsewhere:1")
    assert admin.main(["master-key", "rotate", "--grace-seconds", "0"]) == 1
    assert "rotation_in_progress" in capsys.readouterr().err
    master_keys.release(file_hub.deps, lease)
    clock = FakeClock()
    later = dataclasses.replace(file_hub.deps, clock=clock)
    master_keys.acquire(later, "died:2")
    clock.advance(master_keys.LEASE_SECONDS + 1)
    master_keys.acquire(later, "next:3")  # a lease that ended is taken over
    with pytest.raises(ConflictError):
        master_keys.acquire(later, "another:4")


def test_a_single_configured_key_cannot_be_rotated(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {"LGSP_TABLE_BACKEND": "sqlite", "LGSP_MASTER_KEY_FILE": "",
                        "LGSP_SQLITE_PATH": str(tmp_path / "t.sqlite3"),
                        "LGSP_MASTER_KEY": base64.b64encode(b"m" * 32).decode()}.items():
        monkeypatch.setenv(name, value)
    assert admin.main(["master-key", "rotate", "--grace-seconds", "0"]) == 1
    assert "cannot be rotated" in capsys.readouterr().err


# -- DynamoDB and Secrets Manager (moto) --------------------------------------------------

@pytest.fixture
def aws_hub(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, str]]:
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="lgsp-dev-master-key",
                           SecretString=json.dumps({"current": "k1", "k1": GENERATED}))["ARN"]
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    create_table(ddb, "lgsp")
    s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                        secret_key=None, path_style=False)
    ensure_bucket(s3, "lgsp-rotation-test")
    deps = make_deps(DynamoTable(ddb, "lgsp"), S3ObjectStore(s3, "lgsp-rotation-test"))
    deps = dataclasses.replace(deps, sealer=AesGcmSealer(SecretsManagerKeyring(sm, arn).load))
    for name, value in {"LGSP_TABLE_BACKEND": "dynamodb", "LGSP_TABLE_NAME": "lgsp",
                        "LGSP_AWS_REGION": "us-east-1", "LGSP_MASTER_KEY": "",
                        "LGSP_MASTER_KEY_FILE": "", "LGSP_MASTER_KEY_SECRET": arn}.items():
        monkeypatch.setenv(name, value)
    for hub in world(deps):
        yield hub, arn


def test_rotate_on_dynamodb_with_a_secrets_manager_secret(
        aws_hub: tuple[World, str], capsys: pytest.CaptureFixture[str]) -> None:
    hub, arn = aws_hub
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    hub_signing.current_key(hub.deps)
    _everyone_authenticates(hub)
    before = _sealed(hub.deps)
    assert admin.main(["master-key", "rotate", "--grace-seconds", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["retired"] == ["k1"]
    _check_rotated(hub, SecretsManagerKeyring(sm, arn), before, "k1")
    current = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert "k1" not in current and GENERATED not in json.dumps(current)


def test_an_unreadable_secret_is_named(aws: None) -> None:
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    with pytest.raises(KeyringError, match="secret lgsp-nothing cannot be read"):
        SecretsManagerKeyring(sm, "lgsp-nothing").load()


def test_people_second_factors_and_the_pages_key_are_resealed(
        file_hub: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rotation also re-seals each person's TOTP secret and the SSO pages' CSRF key:
    the person still signs in with their authenticator after the old key is gone."""
    from chalicelib.services import login, sso_secret
    from tests.support.hub import UNIT_A
    from tests.support.sso import PASSWORD, make_person, otp

    deps = file_hub.deps
    account, secret = make_person(deps, UNIT_A, "nva", ["unit_admin"])
    key_before = sso_secret.csrf_key(deps)
    before = {s.context for s in master_keys.sealed_secrets(deps)}
    assert {f"totp:{account}", "sso-csrf"} <= before
    assert admin.main(["master-key", "rotate", "--grace-seconds", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["resealed"] == len(before)
    current = KeyringFile(tmp_path / "master.key.json").load().current
    assert {deps.sealer.key_id_of(s.item[s.attribute])
            for s in master_keys.sealed_secrets(deps)} == {current}
    assert sso_secret.csrf_key(deps) == key_before
    step = login.with_password(deps, account, PASSWORD)
    assert secret is not None and step.stage == login.OTP
    assert login.with_otp(deps, step.step, otp(secret, deps)).stage == login.DONE
