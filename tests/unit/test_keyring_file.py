"""On-prem, the master keyring is a file only the hub's user may read: the hub refuses to
start on a file the group or others can read, or that another user owns, naming it."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from chalicelib.adapters.keyring_store import KeyringFile
from chalicelib.bootstrap import keyring_store
from chalicelib.config import Settings
from chalicelib.domain.master_keys import Keyring, KeyringError

KEY = base64.b64encode(b"m" * 32).decode()


def _file(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "master.key.json"
    path.write_text(json.dumps({"current": "k1", "k1": KEY}))
    path.chmod(mode)
    return path


def test_a_0600_file_gives_its_keyring(tmp_path: Path) -> None:
    ring = KeyringFile(_file(tmp_path)).load()
    assert (ring.current, ring.ids) == ("k1", ["k1"])


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_file_others_can_read_is_refused_naming_it(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, mode)
    with pytest.raises(KeyringError, match=f"{path}.*mode {mode:04o}.*0600"):
        KeyringFile(path).load()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_file_of_another_user_is_refused_naming_it(tmp_path: Path) -> None:
    path = _file(tmp_path)
    os.chown(path, 4321, 4321)
    with pytest.raises(KeyringError, match=f"{path} is owned by uid 4321"):
        KeyringFile(path).load()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="nothing-here.json does not exist"):
        KeyringFile(tmp_path / "nothing-here.json").load()


def test_save_replaces_the_file_whole_and_keeps_it_private(tmp_path: Path) -> None:
    path = _file(tmp_path)
    store = KeyringFile(path)
    store.save(Keyring("k2", {"k1": KEY, "k2": base64.b64encode(b"n" * 32).decode()}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load().current == "k2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key.json"]


def test_the_hub_refuses_to_start_on_an_unsafe_key_file(tmp_path: Path) -> None:
    from chalicelib.bootstrap import build

    path = _file(tmp_path, 0o644)
    cfg = Settings(table_backend="sqlite", sqlite_path=str(tmp_path / "t.sqlite3"),
                   master_key_file=str(path))
    with pytest.raises(KeyringError, match=str(path)):
        build(cfg)


def test_one_master_key_source_only() -> None:
    with pytest.raises(RuntimeError, match="LGSP_MASTER_KEY_FILE and LGSP_MASTER_KEY"):
        keyring_store(Settings(master_key_file="/x.json", master_key=KEY))
    with pytest.raises(RuntimeError, match="LGSP_MASTER_KEY_SECRET"):
        keyring_store(Settings())
