"""The single-machine host in demo mode (the default of `make run`) seeds demo units and
a demo operator and says so loudly; in production mode it seeds nothing, refuses a `var/`
holding demo data, and points to the bootstrap (R-OPS-4: a platform kept secure).

Each test builds the host's settings and wiring on SQLite in a temporary `var/` without
starting SeaweedFS (nothing here touches the object store)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.domain.operator_schemas import BootstrapOperator
from chalicelib.services import operators, registry
from chalicelib.services.deps import Deps
from chalicelib.services.roles import is_operator_unit
from infra.local import demo
from infra.local.backends import Backends, HostSettings

REAL_IT = "000.00.00.H30"


@pytest.fixture(autouse=True)
def _no_lgsp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LGSP_* setting of the test run applies, and none that `start` exports stays."""
    for name in ("LGSP_MASTER_KEY", "LGSP_MASTER_KEY_FILE", "LGSP_OPERATOR_UNITS", "LGSP_MODE",
                 "LGSP_WS_ENDPOINT", "LGSP_WS_ACCESS_KEY", "LGSP_WS_SECRET_KEY"):
        monkeypatch.setenv(name, "")  # unset for the settings; restored afterwards


def _backends(var: Path, mode: str) -> Backends:
    backends = Backends(HostSettings(var_dir=var, mode=mode))  # type: ignore[arg-type]
    backends.prepare_var()
    return backends


@contextmanager
def _wired(backends: Backends) -> Iterator[Deps]:
    """The host's wiring on its settings, without starting the object store."""
    yield bootstrap.build(backends.settings())


def test_demo_is_the_default_mode() -> None:
    assert HostSettings.from_env({}).mode == "demo"
    assert HostSettings.from_env({"LGSP_MODE": "production"}).mode == "production"
    with pytest.raises(ValueError):
        HostSettings.from_env({"LGSP_MODE": "prod"})


def test_demo_seeds_units_and_an_operator_through_the_bootstrap(tmp_path: Path) -> None:
    backends = _backends(tmp_path / "var", "demo")
    with _wired(backends) as deps:
        backends.prepare_data(deps)
        creds = backends.demo_credentials_path
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        apps = json.loads(creds.read_text())["apps"]
        assert [a["unit"] for a in apps] == [*(c for c, _ in demo.DEMO_UNITS),
                                              demo.OPERATOR_UNIT[0]]
        marker = operators.bootstrap_marker(deps)
        assert marker is not None and marker["unit"] == demo.OPERATOR_UNIT[0]
        flagged = deps.table.get("OPERATORS", demo.OPERATOR_UNIT[0])
        assert flagged is not None and is_operator_unit(deps, demo.OPERATOR_UNIT[0])
        backends.prepare_data(deps)  # a second start seeds nothing more
        assert json.loads(creds.read_text())["apps"] == apps


def test_demo_mode_says_loudly_where_the_secrets_are_and_not_for_production(
        tmp_path: Path) -> None:
    backends = _backends(tmp_path / "var", "demo")
    with _wired(backends) as deps:
        text = backends.announcement(deps) or ""
        assert "DEMO MODE" in text and "NOT FOR PRODUCTION" in text
        assert str(backends.demo_credentials_path) in text
        assert "LGSP_MODE=production" in text


def test_production_seeds_nothing_and_asks_for_the_bootstrap(tmp_path: Path) -> None:
    backends = _backends(tmp_path / "var", "production")
    assert backends.settings().operators == frozenset()
    with _wired(backends) as deps:
        backends.prepare_data(deps)
        assert not backends.demo_credentials_path.exists()
        assert all(registry.get_unit(deps, code) is None
                   for code, _ in [*demo.DEMO_UNITS, demo.OPERATOR_UNIT])
        assert "infra.admin --local bootstrap" in (backends.announcement(deps) or "")
        operators.bootstrap_operator(deps, BootstrapOperator(unit=REAL_IT, name="Sở TT&TT"))
        assert backends.announcement(deps) is None


def test_production_refuses_demo_credentials_before_starting_anything(tmp_path: Path) -> None:
    var = tmp_path / "var"
    backends = _backends(var, "production")
    backends.demo_credentials_path.write_text('{"apps": []}')
    with pytest.raises(RuntimeError, match="refuses demo data.*demo-credentials.json.*"
                                           "infra.admin --local bootstrap"):
        backends.start()
    assert backends.seaweed is None and not (var / "seaweed").exists()


def test_production_refuses_demo_units_in_the_table(tmp_path: Path) -> None:
    var = tmp_path / "var"
    seeded = _backends(var, "demo")
    with _wired(seeded) as deps:
        seeded.prepare_data(deps)
    seeded.demo_credentials_path.unlink()  # the secrets file alone is not the demo data
    backends = _backends(var, "production")
    with pytest.raises(RuntimeError, match="unit 000.00.31.H99, unit 000.00.32.H99, "
                                           "unit 000.00.30.H99"):
        backends.start()
    assert backends.seaweed is None


def test_demo_mode_refuses_a_real_deployment(tmp_path: Path) -> None:
    var = tmp_path / "var"
    backends = _backends(var, "production")
    with _wired(backends) as deps:
        operators.bootstrap_operator(deps, BootstrapOperator(unit=REAL_IT, name="Sở TT&TT"))
    as_demo = _backends(var, "demo")
    with _wired(as_demo) as deps:
        with pytest.raises(RuntimeError, match=f"bootstrapped for unit {REAL_IT}.*"
                                               "LGSP_MODE=production"):
            as_demo.prepare_data(deps)
        assert registry.get_unit(deps, demo.DEMO_UNITS[0][0]) is None


def test_the_host_keyring_file_is_private_and_old_key_files_are_converted(
        tmp_path: Path) -> None:
    var = tmp_path / "var"
    backends = _backends(var, "demo")
    old_key = "bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk="
    path = var / "master.key.json"
    path.write_text(json.dumps({"master_key": old_key}))
    path.chmod(0o600)
    cfg = backends.settings()
    assert cfg.master_key_file == str(path) and cfg.master_key is None
    assert json.loads(path.read_text()) == {"current": "k0", "k0": old_key}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fresh = _backends(tmp_path / "fresh", "demo")
    ring = json.loads(Path(fresh.settings().master_key_file or "").read_text())
    assert ring["current"] in ring
