"""`lgsp admin apps create` against an in-test hub (R-JOIN-2, R-OPS-1): an operator
creates a unit's app directly, the HMAC secret is printed once with a warning, an RSA app
sends only its public key, and a refusal or a failed call is never retried."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lgsp_client.cli import main
from tests.client.fakehub import FakeHub
from tests.client.server import Received, Reply, Server, serve

OPERATOR = "000.00.30.H99"
UNIT = "000.00.32.H99"
PATH = f"/v1/admin/units/{UNIT}/apps"


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                     "Cache-Control": "no-store"})


@dataclass
class AppsHub:
    """The app-creation route on top of the fake hub's signature check."""

    fake: FakeHub
    bodies: list[dict[str, Any]] = field(default_factory=list)
    answer: tuple[int, str] | None = None  # (status, error code) to refuse with

    def __call__(self, r: Received) -> Reply:
        if not r.path.startswith("/v1/admin/units/"):
            return self.fake(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        body = json.loads(r.body)
        self.bodies.append(body)
        if self.answer is not None:
            status, code = self.answer
            return _json(status, {"error": {"code": code, "message": "refused"}})
        unit = r.path.split("/")[4]
        rsa = body.get("algorithm", "").startswith("rsa")
        algorithm = body.get("algorithm", "hmac-sha256")
        return _json(201, {
            "app": {"app": "app-new", "unit": unit, "name": body["name"],
                    "role": body.get("role", "app"), "status": "active",
                    "legacy": body.get("legacy", False), "created_at": "2026-11-18T11:06:40Z",
                    "keys": [{"key_id": "AKNEW", "algorithm": algorithm, "status": "active",
                              "created_at": "2026-11-18T11:06:40Z"}]},
            "credentials": {"unit": unit, "app": "app-new", "access_key": "AKNEW",
                            "algorithm": algorithm,
                            "secret_key": None if rsa else "s3cr3t-once"},
            "note": "RSA: the unit signs with its own private key." if rsa else
                    "Hand the secret key over to the unit now."})


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[AppsHub, Server]]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    fake = AppsHub(FakeHub(keys={"AKOP": "op-secret"}, units={"AKOP": OPERATOR}))
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKOP")
        monkeypatch.setenv("LGSP_SECRET_KEY", "op-secret")
        yield fake, server


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def posts(server: Server) -> list[Received]:
    return [r for r in server.received if r.method == "POST" and r.path == PATH]


def test_create_prints_the_secret_once_with_a_warning(
        hub: tuple[AppsHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, server = hub
    code, out = lgsp("admin", "apps", "create", "--unit", UNIT, "--name", "Phần mềm một cửa")
    assert code == 0
    assert fake.bodies == [{"name": "Phần mềm một cửa"}]
    assert "nonce=" in posts(server)[0].headers["Signature-Input"]
    lines = dict(line.split(":", 1) for line in out.splitlines())
    assert {k: v.strip() for k, v in lines.items()} == {
        "app": "app-new", "unit": UNIT, "role": "app", "access_key": "AKNEW",
        "algorithm": "hmac-sha256", "secret_key": "s3cr3t-once"}
    err = capsys.readouterr().err
    assert "shown only now" in err and "store it" in err
    assert "s3cr3t-once" not in err


def test_create_an_rsa_unit_admin_app_sends_only_the_public_key(
        hub: tuple[AppsHub, Server], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    pub = tmp_path / "app.pub"
    pub.write_text("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
                   encoding="utf-8")
    code, out = lgsp("admin", "apps", "create", "--unit", UNIT, "--name", "Quản trị",
                     "--algorithm", "rsa-pss-sha512", "--public-key", str(pub),
                     "--role", "unit_admin")
    assert code == 0 and "secret_key" not in out and "role:       unit_admin" in out
    assert fake.bodies == [{"name": "Quản trị", "algorithm": "rsa-pss-sha512",
                            "public_key": pub.read_text(encoding="utf-8"),
                            "role": "unit_admin"}]
    assert "private key" in capsys.readouterr().err


def test_a_legacy_app_and_the_raw_json(hub: tuple[AppsHub, Server]) -> None:
    fake, _ = hub
    code, out = lgsp("admin", "apps", "create", "--unit", UNIT, "--name", "Hệ thống cũ",
                     "--algorithm", "hmac-sha1", "--legacy", "--json")
    assert code == 0 and fake.bodies[-1] == {"name": "Hệ thống cũ", "algorithm": "hmac-sha1",
                                             "legacy": True}
    assert json.loads(out)["credentials"]["secret_key"] == "s3cr3t-once"


def test_a_public_key_without_an_rsa_algorithm_is_refused_before_sending(
        hub: tuple[AppsHub, Server], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, server = hub
    pub = tmp_path / "app.pub"
    pub.write_text("key", encoding="utf-8")
    code, _ = lgsp("admin", "apps", "create", "--unit", UNIT, "--name", "x",
                   "--public-key", str(pub))
    assert code == 1 and "--public-key goes with" in capsys.readouterr().err
    assert posts(server) == []


def test_the_unit_and_name_are_required(hub: tuple[AppsHub, Server]) -> None:
    for argv in (["--unit", UNIT], ["--name", "x"]):
        with pytest.raises(SystemExit) as err:
            lgsp("admin", "apps", "create", *argv)
        assert err.value.code == 2


@pytest.mark.parametrize(("status", "error"), [(409, "unit_not_active"), (403, "forbidden"),
                                               (503, "unavailable")])
def test_a_refusal_is_reported_and_never_retried(
        hub: tuple[AppsHub, Server], capsys: pytest.CaptureFixture[str], status: int,
        error: str) -> None:
    fake, server = hub
    fake.answer = (status, error)
    code, out = lgsp("admin", "apps", "create", "--unit", UNIT, "--name", "x")
    assert code == 1 and out == ""
    assert f"error: {error}" in capsys.readouterr().err
    assert len(posts(server)) == 1  # a retry could create a second app
