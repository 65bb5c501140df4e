"""`lgsp admin peers …` and `lgsp admin routes …` against the real hub over loopback HTTP
(issue 15, R-PROP-10; docs/federation.md): an operator registers a peer with its key from
a file or a JWKS URL, changes, disables, enables and removes it, routes patterns to it and
asks where a code goes; refusals print the hub's code; usage errors need no call."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from chalicelib import bootstrap
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import HttpAnswer
from lgsp_client.cli import main
from tests.client.server import Received, Reply, serve
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_C, World, make_deps, world
from tests.support.peers import FakeHubs

OPERATOR = UNIT_C


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    """The real hub behind a loopback bridge; the CLI signs as UNIT_C's app, an operator."""
    clock = FakeClock(int(time.time()))  # the CLI signs with the real clock
    deps = make_deps(SqliteTable(tmp_path / "t.sqlite3", clock.now), None,  # type: ignore[arg-type]
                     clock, operator_units=OPERATOR)
    worlds = world(deps)
    hub = next(worlds)

    def bridge(req: Received) -> Reply:
        res = hub.client.http.request(req.method, req.path, headers=req.headers, body=req.body)
        return Reply(res.status_code, res.body or b"", dict(res.headers))

    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    try:
        with serve(bridge) as server:
            monkeypatch.setenv("LGSP_ENDPOINT", server.url)
            monkeypatch.setenv("LGSP_ACCESS_KEY", hub.c.creds.access_key)
            monkeypatch.setenv("LGSP_SECRET_KEY", str(hub.c.creds.secret_key))
            yield hub
    finally:
        worlds.close()


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def jwk_file(tmp_path: Path, **extra: str) -> Path:
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    path = tmp_path / "peer.jwk.json"
    path.write_text(json.dumps({"kty": "OKP", "crv": "Ed25519",
                                "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                                **extra}))
    return path


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What the CLI says on stderr when the call fails (exit status not 0)."""
    capsys.readouterr()
    code, _ = lgsp(*argv)
    assert code != 0
    return capsys.readouterr().err


def as_json(*argv: str) -> Any:
    code, out = lgsp(*argv, "--json")
    assert code == 0, out
    return json.loads(out)


def test_a_peer_from_a_key_file_through_its_whole_life(hub: World, tmp_path: Path) -> None:
    code, out = lgsp("admin", "peers", "add", "hanoi", "--name", "LGSP Hà Nội",
                     "--base-url", "https://lgsp.hanoi.gov.vn", "--public-key-file",
                     str(jwk_file(tmp_path)))
    assert code == 0, out
    assert out.startswith("hanoi  active  https://lgsp.hanoi.gov.vn  JWK Ed25519  routes=0")
    assert "LGSP Hà Nội" in out
    shown = as_json("admin", "peers", "show", "hanoi")
    assert shown["public_jwk"]["kty"] == "OKP" and shown["jwks_url"] is None
    changed = as_json("admin", "peers", "update", "hanoi", "--jwks-url",
                      "https://lgsp.hanoi.gov.vn/jwks.json", "--name", "Trục Hà Nội")
    assert (changed["name"], changed["public_jwk"]) == ("Trục Hà Nội", None)
    assert changed["content"] == "direct"
    copied = as_json("admin", "peers", "update", "hanoi", "--content", "copy")
    assert copied["content"] == "copy"  # its messages copied into our store first
    assert "content=copy" in lgsp("admin", "peers", "show", "hanoi")[1]
    assert lgsp("admin", "peers", "disable", "hanoi")[1].startswith("hanoi  disabled")
    assert lgsp("admin", "peers", "enable", "hanoi")[1].startswith("hanoi  active")
    code, out = lgsp("admin", "peers", "list")
    assert code == 0 and out.count("\n") == 1 and "JWKS https://lgsp.hanoi.gov.vn" in out
    assert lgsp("admin", "peers", "remove", "hanoi") == (0, "hanoi removed\n")
    assert as_json("admin", "peers", "list")["items"] == []


def test_routes_and_resolution(hub: World, capsys: pytest.CaptureFixture[str]) -> None:
    as_json("admin", "peers", "add", "ndxp", "--name", "Nền tảng quốc gia", "--base-url",
            "https://ndxp.gov.vn", "--jwks-url", "https://ndxp.gov.vn/jwks.json")
    assert lgsp("admin", "routes", "add", "G", "ndxp") == (0, "G  (letter)  -> ndxp\n")
    assert lgsp("admin", "routes", "add", "*", "ndxp")[0] == 0
    code, out = lgsp("admin", "routes", "list")
    assert (code, out) == (0, "*  (default)  -> ndxp\nG  (letter)  -> ndxp\n")
    assert lgsp("admin", "routes", "resolve", "000.00.04.G14") == (
        0, "000.00.04.G14: peer ndxp (route G)\n")
    assert lgsp("admin", "routes", "resolve", UNIT_A) == (
        0, f"{UNIT_A}: local (a unit of this hub)\n")
    lgsp("admin", "peers", "disable", "ndxp")
    assert lgsp("admin", "routes", "resolve", "000.00.00.H31")[1] == (
        "000.00.00.H31: no route: route * names peer ndxp, which is disabled\n")
    assert "error: peer_in_use" in refused(capsys, "admin", "peers", "remove", "ndxp")
    assert lgsp("admin", "routes", "remove", "*") == (0, "* removed\n")
    assert lgsp("admin", "routes", "remove", "G")[0] == 0
    assert as_json("admin", "routes", "list")["items"] == []


def test_refusals_print_the_hubs_code(hub: World, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    said = refused(capsys, "admin", "peers", "add", "x", "--name", "X", "--base-url",
                   "http://x.vn", "--jwks-url", "https://x.vn/jwks")
    assert "error: invalid_peer_url: base_url" in said
    said = refused(capsys, "admin", "peers", "add", "x", "--name", "X", "--base-url",
                   "https://x.vn", "--public-key-file", str(jwk_file(tmp_path, d="c2VjcmV0")))
    assert "error: invalid_peer_key" in said and "private key" in said
    assert "error: invalid_route_pattern" in refused(capsys, "admin", "routes", "add", "g", "x")
    assert as_json("admin", "peers", "list")["items"] == []


def test_usage_errors_need_no_call(hub: World, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):  # a key is required, and only one
        lgsp("admin", "peers", "add", "x", "--name", "X", "--base-url", "https://x.vn")
    with pytest.raises(SystemExit):
        lgsp("admin", "peers", "add", "x", "--name", "X", "--base-url", "https://x.vn",
             "--jwks-url", "https://x.vn/j", "--public-key-file", "f.json")
    missing = tmp_path / "none.json"
    assert "none.json" in refused(capsys, "admin", "peers", "add", "x", "--name", "X",
                                  "--base-url", "https://x.vn", "--public-key-file",
                                  str(missing))
    assert "nothing to change" in refused(capsys, "admin", "peers", "update", "x")


def test_an_operator_checks_a_link_and_reads_what_came_back(
        hub: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lgsp admin peers check`: the hub pings the peer signed (tests/integration/
    test_peer_calls.py proves the signing); the CLI says ok, or what failed, exit 1."""
    net = FakeHubs()
    bootstrap.install(replace(hub.deps, peer_http=net, settings=hub.deps.settings.model_copy(
        update={"public_url": "https://lgsp.bacgiang.gov.vn"})))
    lgsp("admin", "peers", "add", "hanoi", "--name", "LGSP Hà Nội", "--base-url",
         "https://lgsp.hanoi.gov.vn", "--public-key-file", str(jwk_file(tmp_path)))
    ping = "https://lgsp.hanoi.gov.vn/v1/federation/ping"
    net.answers[ping] = HttpAnswer(200, json.dumps({
        "hub": "https://lgsp.hanoi.gov.vn", "peer": "bac-giang",
        "at": "2026-11-20T01:02:03Z"}).encode(), 12.4)
    assert lgsp("admin", "peers", "check", "hanoi") == (
        0, "hanoi: ok in 12 ms: it knows us as bac-giang (https://lgsp.hanoi.gov.vn)\n")
    assert net.sent[-1].headers["lgsp-hub"] == "https://lgsp.bacgiang.gov.vn"
    net.answers[ping] = HttpAnswer(401, json.dumps({"error": {
        "code": "unknown_peer", "message": "No peer hub is registered here."}}).encode(), 3)
    code, out = lgsp("admin", "peers", "check", "hanoi")
    assert (code, out) == (1, "hanoi: failed (HTTP 401): unknown_peer: No peer hub is "
                              "registered here.\n")
    del net.answers[ping]
    code, out = lgsp("admin", "peers", "check", "hanoi", "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "peer_unreachable"
    assert "error: peer_not_found" in refused(capsys, "admin", "peers", "check", "nobody")
