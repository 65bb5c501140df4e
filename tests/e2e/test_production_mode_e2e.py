"""A production host (LGSP_MODE=production) over real HTTP with SeaweedFS: it starts with
no demo data at all, its first operator comes from the bootstrap command, and that
operator administers the hub with the secret printed once (R-JOIN-2, R-OPS-3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lgsp_client import LgspClient
from lgsp_client.errors import LgspApiError
from tests.e2e.conftest import ROOT, host_in

pytestmark = pytest.mark.e2e
IT, NAME = "000.00.00.H30", "Sở Thông tin và Truyền thông"


def test_a_production_host_is_run_by_its_bootstrapped_operator(tmp_path: Path) -> None:
    hub = host_in(tmp_path / "var", LGSP_MODE="production")
    boot = subprocess.run([sys.executable, "-m", "infra.admin", "--local", "bootstrap",
                           "--unit", IT, "--name", NAME], cwd=ROOT, env=hub.env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert boot.returncode == 0, boot.stderr
    creds = json.loads(boot.stdout)
    hub.start()
    try:
        log = hub.log()
        assert "DEMO MODE" not in log and creds["secret_key"] not in log
        assert not (hub.var / "demo-credentials.json").exists()
        operator = LgspClient(hub.url, creds["access_key"], creds["secret_key"])
        assert operator.whoami()["unit"] == IT
        made = operator.call("POST", "/v1/admin/units",
                             body={"code": "000.00.41.H30", "name": "Sở Xây dựng"})
        assert made["code"] == "000.00.41.H30"
        with pytest.raises(LgspApiError) as missing:
            operator.call("GET", "/v1/directory/000.00.31.H99")  # no demo unit
        assert missing.value.status == 404
    finally:
        hub.stop()
