"""`lgsp services …` and `lgsp admin services …` (R-COMP-3, R-JOIN-3): parsing, and the
whole catalogue path against the real hub over loopback HTTP (the brokered-session
fixture of test_broker): publish → approve → search → request → grant → a brokered
session opens; revoke → refused at once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from lgsp_client import LgspApiError, LgspClient
from lgsp_client.broker import open_session
from lgsp_client.cli import build_parser, run
from tests.client.test_broker import Setup, setup  # noqa: F401  (the fixture)
from tests.support.hub import UNIT_B

SERVICE = f"{UNIT_B}/land-records"
DOC = {"openapi": "3.0.3", "info": {"title": "Sổ địa chính", "version": "1"},
       "paths": {"/parcels": {}}}


def parse(*argv: str) -> object:
    return build_parser().parse_args(list(argv))


def test_services_arguments() -> None:
    args = parse("services", "publish", "--id", "land-records", "--name", "Thửa đất",
                 "--description", "d", "--base-url", "https://x.example", "--openapi-file",
                 "oas.json", "--category", "Đất đai", "--category", "Hộ tịch", "--terms",
                 "t", "--scope", "read")
    assert (args.command, args.services_command) == ("services", "publish")  # type: ignore[attr-defined]
    assert args.categories == ["Đất đai", "Hộ tịch"] and args.scopes == ["read"]  # type: ignore[attr-defined]
    assert parse("services", "search", "thua", "dat").words == ["thua", "dat"]  # type: ignore[attr-defined]
    assert parse("services", "show", SERVICE).service == (UNIT_B, "land-records")  # type: ignore[attr-defined]
    request = parse("services", "request", SERVICE, "--app", "app-1", "--purpose", "p")
    assert request.app == "app-1" and request.scopes is None  # type: ignore[attr-defined]
    assert parse("services", "requests").role == "provider"  # type: ignore[attr-defined]
    assert parse("services", "grants").role == "consumer"  # type: ignore[attr-defined]
    assert parse("services", "refuse", "ar-1", "--reason", "r").reason == "r"  # type: ignore[attr-defined]
    assert parse("services", "grant", "ar-1").rate is None  # type: ignore[attr-defined]
    assert parse("services", "grant", "ar-1", "--rate", "60").rate == 60  # type: ignore[attr-defined]
    assert parse("services", "rate", "ar-1", "default").rate is None  # type: ignore[attr-defined]
    admin = parse("admin", "services", "refuse", SERVICE, "--reason", "r")
    assert admin.admin_services_command == "refuse"  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [
    ["services", "show", "no-slash"], ["services", "refuse", "ar-1"],
    ["services", "request", SERVICE, "--app", "app-1"], ["services", "grants", "--role", "x"],
    ["admin", "services", "approve"], ["services", "publish", "--id", "x"],
    ["services", "grant", "ar-1", "--rate", "0"], ["services", "rate", "ar-1", "x"],
    ["services", "rate", "ar-1", "100001"], ["services", "rate", "ar-1"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    capsys.readouterr()


def _run(client: LgspClient, *argv: str) -> str:
    out = io.StringIO()
    assert run(build_parser().parse_args(list(argv)), client, out) == 0
    return out.getvalue()


def active(dest: LgspClient, token: str) -> bool:
    return bool(dest.call("POST", "/v1/auth/introspect", body={"token": token})["active"])


def test_catalogue_path_through_the_cli(setup: Setup, tmp_path: Path) -> None:  # noqa: F811
    s = setup
    operator = s.client(s.hub.c)  # an app of UNIT_C, the operator unit
    oas = tmp_path / "oas.json"
    oas.write_text(json.dumps(DOC), encoding="utf-8")
    published = _run(s.dest, "services", "publish", "--id", "land-records", "--name",
                     "Tra cứu thửa đất", "--description", "Dữ liệu địa chính", "--base-url",
                     "https://dest.example.gov.vn/api", "--openapi-file", str(oas),
                     "--category", "Đất đai", "--terms", "Chỉ dùng cho thủ tục", "--scope",
                     "read")
    assert published.split() == [SERVICE, "pending", "Tra", "cứu", "thửa", "đất"]
    assert SERVICE in _run(operator, "admin", "services", "pending")
    assert "listed" in _run(operator, "admin", "services", "approve", SERVICE)
    assert SERVICE in _run(s.source, "services", "search", "thua", "DAT")
    assert json.loads(_run(s.source, "services", "openapi", SERVICE)) == DOC
    asked = json.loads(_run(s.source, "services", "request", SERVICE, "--app",
                            s.hub.a.creds.app, "--purpose", "Thủ tục đất đai", "--json"))
    assert asked["state"] == "pending"
    assert _run(s.source, "services", "usage", asked["id"]).endswith("not granted\n")
    assert asked["id"] in _run(s.dest, "services", "requests")
    assert _run(s.dest, "services", "grant", asked["id"], "--rate", "30").split()[-1] == \
        "30/min"
    assert asked["id"] in _run(s.source, "services", "grants")
    assert "120/min" in _run(s.dest, "services", "rate", asked["id"], "120")
    assert s.source.access_request(asked["id"])["rate_per_minute"] == 120
    with pytest.raises(LgspApiError) as not_yours:  # the consumer cannot change it
        _run(s.source, "services", "rate", asked["id"], "5000")
    assert not_yours.value.code == "forbidden"
    assert "600/min" in _run(s.dest, "services", "rate", asked["id"], "default")
    assert _run(s.source, "services", "usage", asked["id"]).splitlines()[1:] == [
        "today 2026-11-18: 0 calls, 0 failed, 0 bytes sent, 0 bytes answered",
        "month 2026-11: 0 calls, 0 failed, 0 bytes sent, 0 bytes answered"]
    session = open_session(s.source, SERVICE)  # the brokered session works for the pair
    assert active(s.dest, session.token) is True
    assert "revoked" in _run(s.dest, "services", "revoke", asked["id"])
    assert active(s.dest, session.token) is False  # at once
    with pytest.raises(LgspApiError) as refused:
        open_session(s.source, SERVICE)
    assert refused.value.code == "access_denied"
