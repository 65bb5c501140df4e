"""Makes `lgsp_client` importable from the source tree, without installing it, and keeps
every test away from the sign-ins of the person running them (`~/.lgsp/sso`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client"
if str(CLIENT) not in sys.path:
    sys.path.insert(0, str(CLIENT))


@pytest.fixture(autouse=True)
def _own_sign_ins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LGSP_SSO_DIR", str(tmp_path / "sso"))
    monkeypatch.delenv("LGSP_AUTH", raising=False)
