"""`python -m infra.admin bootstrap`: the first operator of an on-prem deployment (or of
an AWS one, from an operator's workstation), from the same LGSP_* settings as the hub,
here on SQLite in a temporary folder. The secret is printed once and never logged."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.config import Settings
from chalicelib.services.roles import is_operator_unit
from infra import admin
from infra.local.launcher import ROOT

IT = "000.00.00.H30"
NAME = "Sở Thông tin và Truyền thông"


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    keyring = tmp_path / "master.key.json"
    keyring.write_text(json.dumps({"current": "k1",
                                   "k1": base64.b64encode(os.urandom(32)).decode()}))
    keyring.chmod(0o600)
    env = {"LGSP_TABLE_BACKEND": "sqlite", "LGSP_SQLITE_PATH": str(tmp_path / "t.sqlite3"),
           "LGSP_MASTER_KEY_FILE": str(keyring), "LGSP_MASTER_KEY": "",
           "LGSP_OPERATOR_UNITS": ""}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_bootstrap_prints_the_credentials_once(settings_env: dict[str, str],
                                               capsys: pytest.CaptureFixture[str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert admin.main(["bootstrap", "--unit", IT, "--name", NAME]) == 0
    out, err = capsys.readouterr()
    creds = json.loads(out)
    assert creds["unit"] == IT and creds["access_key"].startswith("AK")
    assert len(creds["secret_key"]) >= 32
    assert "shown this once" in err and creds["secret_key"] not in err
    assert creds["secret_key"] not in caplog.text
    deps = bootstrap.build(Settings.from_env())
    assert is_operator_unit(deps, IT)
    key = deps.table.get(f"KEY#{creds['access_key']}", "META")
    assert deps.sealer.open(key["secret_sealed"], creds["access_key"]).decode() == \
        creds["secret_key"]

    assert admin.main(["bootstrap", "--unit", "000.00.01.H30", "--name", "Khác"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "already_bootstrapped" in err and IT in err


def test_bad_input_is_refused_with_its_reason(settings_env: dict[str, str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert admin.main(["bootstrap", "--unit", "000.00.00.X", "--name", NAME]) == 1
    assert "invalid_unit_code" in capsys.readouterr().err


def test_without_a_master_key_it_says_which_settings_are_missing(
        settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LGSP_MASTER_KEY_FILE", "")
    assert admin.main(["bootstrap", "--unit", IT, "--name", NAME]) == 1
    assert "LGSP_MASTER_KEY_FILE" in capsys.readouterr().err


def test_local_uses_the_single_machine_hosts_var(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    var = tmp_path / "var"
    for name in ("LGSP_MASTER_KEY", "LGSP_MASTER_KEY_FILE", "LGSP_WS_ENDPOINT",
                 "LGSP_WS_ACCESS_KEY", "LGSP_WS_SECRET_KEY"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("LGSP_VAR_DIR", str(var))
    monkeypatch.setenv("LGSP_MODE", "production")
    assert admin.main(["--local", "bootstrap", "--unit", IT, "--name", NAME]) == 0
    assert json.loads(capsys.readouterr().out)["unit"] == IT
    assert (var / "table.sqlite3").exists() and (var / "master.key.json").exists()
    assert not (var / "demo-credentials.json").exists()


def test_it_runs_as_a_module(settings_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "infra.admin", "bootstrap", "--unit", IT,
                           "--name", NAME], cwd=ROOT, env={**os.environ, **settings_env},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["unit"] == IT


def test_the_first_operator_person_gets_a_one_time_link(
        settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """After the bootstrap, the IT department's first people: an operator with a link
    (never a password), refused for a unit that is not an operator unit."""
    monkeypatch.setenv("LGSP_PUBLIC_URL", "https://lgsp.bacgiang.gov.vn")
    assert admin.main(["bootstrap", "--unit", IT, "--name", NAME]) == 0
    capsys.readouterr()
    assert admin.main(["person", "--unit", IT, "--username", "lan", "--name",
                       "Trần Thị Lan"]) == 0
    out, err = capsys.readouterr()
    made = json.loads(out)
    assert made["person"]["roles"] == ["operator"] and made["person"]["password_set"] is False
    assert made["link"].startswith("https://lgsp.bacgiang.gov.vn/sso/setup/")
    assert "works once" in err
    assert admin.main(["person", "--unit", IT, "--username", "lan", "--reset"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["link"] != made["link"]
    assert admin.main(["person", "--unit", "000.00.01.H30", "--username", "x1",
                       "--name", "X"]) == 1
    assert "not an operator unit" in capsys.readouterr().err


def test_reports_backfill_runs_once_and_says_what_it_did(settings_env: dict[str, str],
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    from chalicelib.domain import keys
    from chalicelib.services import registry
    deps = bootstrap.build(Settings.from_env())
    registry.create_unit(deps, "000.00.01.H30", "Sở Tài chính")
    deps.table.put({"pk": keys.stats_partition("000.00.01.H30"), "sk": "M#2025-03",
                    "kind": "counters", "unit": "000.00.01.H30", "sent": 7})
    assert admin.main(["reports", "backfill", "--since", "2025-01"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["units"] == 1 and first["written"] == 2  # the province's month, the ranking
    assert admin.main(["reports", "backfill", "--since", "2025-01"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == 0
    with pytest.raises(SystemExit):
        admin.main(["reports", "backfill", "--since", "2025-13"])


def test_the_hub_runs_its_first_operator_on_postgres(settings_env: dict[str, str],
                                                    postgres_dsn: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """LGSP_TABLE_BACKEND=postgres with a DSN selects PostgreSQL (docs/deploy.md)."""
    monkeypatch.setenv("LGSP_TABLE_BACKEND", "postgres")
    monkeypatch.delenv("LGSP_POSTGRES_DSN", raising=False)
    assert admin.main(["bootstrap", "--unit", IT, "--name", NAME]) == 1  # no DSN: said so
    monkeypatch.setenv("LGSP_POSTGRES_DSN", postgres_dsn)
    assert admin.main(["bootstrap", "--unit", IT, "--name", NAME]) == 0
    deps = bootstrap.build(Settings.from_env())
    assert type(deps.table).__name__ == "PostgresTable"
    assert is_operator_unit(deps, IT)
