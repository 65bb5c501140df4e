"""`lgsp keys ...` against the in-test hub: list, rotate (HMAC and RSA), revoke, and
generate-rsa, which needs no hub and no credentials."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lgsp_client.cli import main
from tests.client.fakehub import FakeHub
from tests.client.server import Server, serve

UNIT = "000.00.31.H99"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FakeHub, Server]]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeHub(keys={"AKSRC": "src-secret"}, units={"AKSRC": UNIT, "AKRSA": UNIT})
    with serve(fake) as server:
        fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
        monkeypatch.setenv("LGSP_SECRET_KEY", "src-secret")
        yield fake, server


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_list_rotate_revoke(hub: tuple[FakeHub, Server],
                            capsys: pytest.CaptureFixture[str]) -> None:
    fake, server = hub
    code, out = lgsp("keys", "list")
    assert code == 0 and out.splitlines()[0].split() == [
        "KEY_ID", "ALGORITHM", "STATUS", "CREATED_AT", "LAST_USED_AT"]
    assert "AKSRC" in out and "active" in out
    code, out = lgsp("keys", "rotate")
    assert code == 0 and fake.rotations == [{}]
    assert "access_key: AKNEW" in out and "secret_key: new-secret" in out
    assert "AKSRC keeps working until t9" in capsys.readouterr().err
    assert lgsp("keys", "revoke", "AKSRC") == (0, "AKSRC revoked t1\n")
    delete = server.received[-1]
    assert delete.method == "DELETE" and delete.path == "/v1/keys/AKSRC"
    assert "nonce=" in delete.headers["Signature-Input"]
    assert lgsp("keys", "list")[0] == 1
    assert "error: key_revoked" in capsys.readouterr().err


def test_revoking_an_unknown_key_fails(hub: tuple[FakeHub, Server],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert lgsp("keys", "revoke", "AKOTHER")[0] == 1
    assert capsys.readouterr().err.startswith("error: key_not_found:")


def test_generate_rsa_then_rotate_and_sign_with_it(
        hub: tuple[FakeHub, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = hub
    monkeypatch.delenv("LGSP_ENDPOINT")  # generate-rsa needs neither hub nor keys
    monkeypatch.delenv("LGSP_ACCESS_KEY")
    code, out = lgsp("keys", "generate-rsa", "--out", str(tmp_path / "app"))
    assert code == 0 and "app.key" in out
    monkeypatch.setenv("LGSP_ENDPOINT", fake.url)
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
    code, out = lgsp("keys", "rotate", "--algorithm", "rsa-pss-sha512", "--public-key",
                     str(tmp_path / "app.pub"))
    assert code == 0 and "secret_key" not in out
    [sent] = fake.rotations
    assert sent["algorithm"] == "rsa-pss-sha512"
    assert sent["public_key"] == (tmp_path / "app.pub").read_text()
    assert "PRIVATE" not in json.dumps(sent)

    fake.rsa_keys["AKRSA"] = ("rsa-pss-sha512", (tmp_path / "app.pub").read_bytes())
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKRSA")
    monkeypatch.delenv("LGSP_SECRET_KEY")
    monkeypatch.setenv("LGSP_ALGORITHM", "rsa-pss-sha512")
    monkeypatch.setenv("LGSP_PRIVATE_KEY_FILE", str(tmp_path / "app.key"))
    assert lgsp("whoami")[0] == 0
    monkeypatch.setenv("LGSP_ALGORITHM", "rsa-v1_5-sha256")  # not the key's algorithm
    assert lgsp("whoami")[0] == 1


def test_public_key_needs_an_rsa_algorithm(hub: tuple[FakeHub, Server], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "k.pub"
    path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert lgsp("keys", "rotate", "--public-key", str(path))[0] == 1
    assert "--public-key goes with" in capsys.readouterr().err
    assert fake.rotations == []
    with pytest.raises(SystemExit) as err:
        lgsp("keys", "rotate", "--algorithm", "des")
    assert err.value.code == 2
