"""`lgsp admin people|sso-apps ...` against an in-test hub (R-COMP-6, R-OPS-3): a unit
admin creates, lists, disables, enables, re-roles and resets the unit's people and
rotates an SSO app's secret; each link or secret goes to stdout once, never to stderr or
a file; refusals show the hub's code; the POSTs that issue something are never retried;
`--as-person` sends the person's Bearer token for all of them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.cli import main
from tests.client.fakeadmin import RequestsHub
from tests.client.fakehub import FakeHub
from tests.client.fakeop import PERSON
from tests.client.fakepeople import PeopleHub, sso_app
from tests.client.server import Server, serve
from tests.client.signin import person_hub, write_profiles

UNIT = "000.00.12.H40"  # the unit admin's own unit (and the signed-in person's)
OTHER = "000.00.13.H40"
OPERATOR = "000.00.30.H40"  # the IT department: manages any unit
PEOPLE = f"/v1/admin/units/{UNIT}/people"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[PeopleHub,
                                                                          Server]]:
    """Signed as an app of UNIT whose role lets it manage UNIT's people."""
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(BaseHTTPRequestHandler, "do_PATCH",
                        lambda self: self._any(), raising=False)
    fake = PeopleHub(FakeHub(keys={"AKUA": "ua-secret", "AKOP": "op-secret"},
                             units={"AKUA": UNIT, "AKOP": OPERATOR}),
                     units={UNIT, OTHER, OPERATOR}, operators={OPERATOR})
    fake.apps[UNIT] = [sso_app("land-records", UNIT), sso_app("kiosk", UNIT, public=True)]
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUA")
        monkeypatch.setenv("LGSP_SECRET_KEY", "ua-secret")
        yield fake, server


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def fields(out: str) -> dict[str, str]:
    return {k: v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}


def assert_shown_only_on_stdout(secret: str, out: str, err: str, tmp_path: Path,
                                caplog: pytest.LogCaptureFixture) -> None:
    assert out.count(secret) == 1
    assert secret not in err and secret not in caplog.text
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or secret.encode() not in path.read_bytes(), path


def test_add_prints_the_one_time_link_on_stdout_only(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    fake, server = hub
    caplog.set_level(logging.DEBUG)
    code, out = lgsp("admin", "people", "add", UNIT, "nva", "--name", "Nguyễn Văn A",
                     "--email", "nva@bacgiang.gov.vn", "--role", "unit_admin",
                     "--role", "sso_admin")
    assert code == 0
    assert fake.calls == [("POST", PEOPLE, {
        "username": "nva", "name": "Nguyễn Văn A", "email": "nva@bacgiang.gov.vn",
        "roles": ["unit_admin", "sso_admin"]})]
    assert "Signature" in server.received[-1].headers
    link = fake.issued[-1]
    assert fields(out) == {"account": f"nva@{UNIT}@bacgiang.gov.vn", "name": "Nguyễn Văn A",
                           "roles": "unit_admin,sso_admin", "link": link,
                           "expires_at": "2030-01-04T00:00:00Z"}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shown only now" in err and "Nguyễn Văn A" in err
    assert_shown_only_on_stdout(link, out, err, tmp_path, caplog)


def test_add_leaves_the_roles_to_the_hub_and_json_has_the_link(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    code, out = lgsp("admin", "people", "add", UNIT, "ttb", "--name", "Trần Thị B", "--json")
    assert code == 0 and fake.calls[-1][2] == {"username": "ttb", "name": "Trần Thị B"}
    answer = json.loads(out)
    assert answer["person"]["roles"] == ["member"] and answer["link"] == fake.issued[-1]
    assert "shown only now" in capsys.readouterr().err


def test_list_shows_a_table_and_says_when_there_is_more(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    fake.page_size = 2
    fake.add(UNIT, "nva", "Nguyễn Văn A", roles=["unit_admin"], password_set=True,
             second_factor=True, email="nva@bacgiang.gov.vn")
    fake.add(UNIT, "ttb", "Trần Thị B", status="disabled")
    fake.add(UNIT, "lvc", "Lê Văn C")
    code, out = lgsp("admin", "people", "list", UNIT)
    assert code == 0 and fake.calls[-1] == ("GET", PEOPLE, None)
    header, *rows = out.splitlines()
    assert header.split() == ["USERNAME", "NAME", "ROLES", "STATUS", "PASSWORD", "TOTP",
                              "EMAIL"]
    assert rows[0].split() == ["lvc", "Lê", "Văn", "C", "member", "active", "not", "set",
                               "no", "-"]
    assert rows[1].split() == ["nva", "Nguyễn", "Văn", "A", "unit_admin", "active", "set",
                               "yes", "nva@bacgiang.gov.vn"]
    assert len(rows) == 2
    assert f"more: lgsp admin people list {UNIT} --cursor 2 (or --all)" in \
        capsys.readouterr().err
    code, out = lgsp("admin", "people", "list", UNIT, "--cursor", "2")
    assert code == 0 and fake.calls[-1][1] == f"{PEOPLE}?cursor=2"
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["ttb"]
    assert "disabled" in out and capsys.readouterr().err == ""


def test_list_all_follows_every_cursor(hub: tuple[PeopleHub, Server],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    fake.page_size = 2
    for n in range(5):
        fake.add(UNIT, f"user{n}", f"Người {n}")
    code, out = lgsp("admin", "people", "list", UNIT, "--all", "--json")
    assert code == 0
    assert [c[1] for c in fake.calls] == [f"{PEOPLE}?limit=200",
                                          f"{PEOPLE}?cursor=2&limit=200",
                                          f"{PEOPLE}?cursor=4&limit=200"]
    page = json.loads(out)
    assert [p["username"] for p in page["items"]] == [f"user{n}" for n in range(5)]
    assert page["next_cursor"] is None and capsys.readouterr().err == ""
    fake.people.clear()
    assert lgsp("admin", "people", "list", UNIT) == (0, "(no people)\n")


def test_disable_enable_and_set_roles_change_only_that(
        hub: tuple[PeopleHub, Server]) -> None:
    fake, _ = hub
    fake.add(UNIT, "nva", "Nguyễn Văn A")
    account = f"nva@{UNIT}@bacgiang.gov.vn"
    assert lgsp("admin", "people", "disable", UNIT, "nva") == \
        (0, f"{account} disabled member\n")
    assert fake.calls[-1] == ("PATCH", f"{PEOPLE}/nva", {"status": "disabled"})
    assert lgsp("admin", "people", "enable", UNIT, "nva") == (0, f"{account} active member\n")
    assert fake.calls[-1] == ("PATCH", f"{PEOPLE}/nva", {"status": "active"})
    assert lgsp("admin", "people", "set-roles", UNIT, "nva", "unit_admin", "sso_admin") == \
        (0, f"{account} active unit_admin,sso_admin\n")
    assert fake.calls[-1] == ("PATCH", f"{PEOPLE}/nva",
                              {"roles": ["unit_admin", "sso_admin"]})
    code, out = lgsp("admin", "people", "disable", UNIT, "nva", "--json")
    assert code == 0 and json.loads(out)["status"] == "disabled"


def test_reset_prints_a_new_link_and_can_forget_the_second_factor(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    fake, _ = hub
    fake.add(UNIT, "nva", "Nguyễn Văn A", password_set=True, second_factor=True)
    code, out = lgsp("admin", "people", "reset", UNIT, "nva")
    assert code == 0 and fake.calls[-1] == ("POST", f"{PEOPLE}/nva/reset",
                                            {"second_factor": False})
    assert fields(out)["link"] == fake.issued[-1] and "totp" not in fields(out)
    assert_shown_only_on_stdout(fake.issued[-1], out, capsys.readouterr().err, tmp_path,
                                caplog)
    code, out = lgsp("admin", "people", "reset", UNIT, "nva", "--forget-second-factor")
    assert code == 0 and fake.calls[-1][2] == {"second_factor": True}
    assert fields(out)["link"] == fake.issued[-1] and fields(out)["totp"].startswith(
        "forgotten")
    assert fake.people[(UNIT, "nva")]["second_factor"] is False
    assert_shown_only_on_stdout(fake.issued[-1], out, capsys.readouterr().err, tmp_path,
                                caplog)


def test_sso_apps_list_and_the_discovery_url(hub: tuple[PeopleHub, Server]) -> None:
    fake, server = hub
    code, out = lgsp("admin", "sso-apps", "list", UNIT)
    assert code == 0 and fake.calls[-1] == ("GET", f"/v1/admin/units/{UNIT}/sso-apps", None)
    header, first, second, discovery = out.splitlines()
    assert header.split() == ["CLIENT_ID", "NAME", "TYPE", "AUTH", "STATUS", "REDIRECT_URIS"]
    assert first.split() == ["land-records", "Ứng", "dụng", "land-records", "confidential",
                             "client_secret_basic", "active",
                             "https://land-records.example.gov.vn/callback"]
    assert second.split()[4:7] == ["public", "none", "active"]
    assert discovery == f"discovery: {server.url}/sso/.well-known/openid-configuration"
    code, out = lgsp("admin", "sso-apps", "list", UNIT, "--json")
    assert code == 0 and [a["client_id"] for a in json.loads(out)["items"]] == \
        ["land-records", "kiosk"]
    fake.apps.clear()
    assert lgsp("admin", "sso-apps", "list", UNIT)[1] == \
        f"(no SSO apps)\ndiscovery: {server.url}/sso/.well-known/openid-configuration\n"


def test_rotate_secret_prints_it_on_stdout_only(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    fake, _ = hub
    caplog.set_level(logging.DEBUG)
    code, out = lgsp("admin", "sso-apps", "rotate-secret", UNIT, "land-records")
    assert code == 0
    assert fake.calls == [("POST", f"/v1/admin/units/{UNIT}/sso-apps/land-records/secret",
                           None)]
    secret = fake.issued[-1]
    assert fields(out) == {"client_id": "land-records", "client_secret": secret}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shown only now" in err and "old one" in err
    assert_shown_only_on_stdout(secret, out, err, tmp_path, caplog)


@pytest.mark.parametrize(("argv", "status", "error"), [
    (["people", "list", OTHER], 403, "forbidden"),
    (["people", "add", OTHER, "x", "--name", "X"], 403, "forbidden"),
    (["sso-apps", "rotate-secret", OTHER, "land-records"], 403, "forbidden"),
    (["people", "disable", UNIT, "nobody"], 404, "person_not_found"),
    (["people", "reset", UNIT, "nobody"], 404, "person_not_found"),
    (["sso-apps", "rotate-secret", UNIT, "nothing"], 404, "sso_app_not_found"),
    (["people", "add", UNIT, "nva", "--name", "Again"], 409, "person_exists"),
    (["sso-apps", "rotate-secret", UNIT, "kiosk"], 409, "sso_app_has_no_secret"),
])
def test_refusals_exit_1_with_the_hubs_code(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str], argv: list[str],
        status: int, error: str) -> None:
    fake, server = hub
    fake.add(UNIT, "nva", "Nguyễn Văn A")
    code, out = lgsp("admin", *argv)
    assert (code, out) == (1, "")
    err = capsys.readouterr().err
    assert err.startswith(f"error: {error}: ") and "shown only now" not in err
    assert len(server.received) == 1 and fake.issued == []


def test_an_operator_manages_any_unit_and_an_unknown_one_is_404(
        hub: tuple[PeopleHub, Server], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKOP")
    monkeypatch.setenv("LGSP_SECRET_KEY", "op-secret")
    code, out = lgsp("admin", "people", "add", OTHER, "admin", "--name", "Quản trị",
                     "--role", "unit_admin")
    assert code == 0 and fields(out)["account"] == f"admin@{OTHER}@bacgiang.gov.vn"
    assert "shown only now" in capsys.readouterr().err
    assert lgsp("admin", "people", "list", "000.00.99.H40") == (1, "")
    assert capsys.readouterr().err.startswith("error: unit_not_found: ")


@pytest.mark.parametrize("argv", [
    ["people", "add", UNIT, "nva", "--name", "Nguyễn Văn A"],
    ["people", "reset", UNIT, "nva"],
    ["sso-apps", "rotate-secret", UNIT, "land-records"],
])
def test_a_post_that_issues_something_is_never_retried(
        hub: tuple[PeopleHub, Server], capsys: pytest.CaptureFixture[str],
        argv: list[str]) -> None:
    fake, server = hub
    fake.add(UNIT, "nva", "Nguyễn Văn A")
    fake.refuse = [(503, "unavailable")]
    assert lgsp("admin", *argv) == (1, "")
    assert capsys.readouterr().err.startswith("error: unavailable: ")
    assert len(server.received) == 1  # a retry would issue a second link or secret


def test_changes_and_lists_are_retried_after_a_gateway_error(
        hub: tuple[PeopleHub, Server]) -> None:
    fake, server = hub
    fake.add(UNIT, "nva", "Nguyễn Văn A")
    naps: list[float] = []
    client = LgspClient(server.url, "AKUA", "ua-secret", sleep=naps.append)
    fake.refuse = [(503, "unavailable")]
    assert client.change_person(UNIT, "nva", status="disabled")["status"] == "disabled"
    fake.refuse = [(502, "bad_gateway")]
    assert client.list_people(UNIT)["items"][0]["username"] == "nva"
    fake.refuse = [(504, "timeout")]
    assert client.list_sso_apps(UNIT)["items"][0]["client_id"] == "land-records"
    assert [c[0] for c in fake.calls] == ["PATCH", "PATCH", "GET", "GET", "GET", "GET"]
    assert len(naps) == 3


@pytest.mark.parametrize("argv", [
    ["people", "add", UNIT, "nva"],  # --name is required
    ["people", "add", UNIT, "nva", "--name", "A", "--role", "root"],
    ["people", "set-roles", UNIT, "nva"],
    ["people", "set-roles", UNIT, "nva", "admin"],
    ["people", "disable", UNIT],
    ["sso-apps", "rotate-secret", UNIT],
])
def test_usage_errors_exit_2_before_any_call(hub: tuple[PeopleHub, Server],
                                            argv: list[str]) -> None:
    _, server = hub
    with pytest.raises(SystemExit) as exit_:
        lgsp("admin", *argv)
    assert exit_.value.code == 2 and server.received == []


def test_as_person_sends_the_bearer_token_for_every_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    layers: list[PeopleHub] = []

    def people_first(admin: RequestsHub) -> PeopleHub:
        layers.append(PeopleHub(admin.fake, units={UNIT}, fallback=admin))
        layers[0].apps[UNIT] = [sso_app("land-records", UNIT)]
        return layers[0]

    with person_hub(monkeypatch, tmp_path, people_first) as running:
        write_profiles(running, "[default]\nendpoint = URL\n")
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
        monkeypatch.setenv("LGSP_SECRET_KEY", "src-secret")
        assert running.lgsp("login")[0] == 0
        fake = layers[0]
        commands = [["people", "add", UNIT, "nva", "--name", "Nguyễn Văn A"],
                    ["people", "list", UNIT], ["people", "disable", UNIT, "nva"],
                    ["people", "enable", UNIT, "nva"],
                    ["people", "set-roles", UNIT, "nva", "sso_admin"],
                    ["people", "reset", UNIT, "nva", "--forget-second-factor"],
                    ["sso-apps", "list", UNIT],
                    ["sso-apps", "rotate-secret", UNIT, "land-records"]]
        for argv in commands:
            code, out = running.lgsp("--as-person", "admin", *argv)
            assert code == 0, argv
            headers = running.admin_calls()[-1].headers
            assert headers["Authorization"] == f"Bearer {running.op.latest_access()}"
            assert "Signature" not in headers and "Signature-Input" not in headers
        assert len(fake.calls) == len(commands)
        assert PERSON["unit"] == UNIT  # the person acts on their own unit
        captured = capsys.readouterr()
        for token in running.tokens():
            assert token not in captured.out and token not in captured.err
        running.lgsp("admin", "people", "list", UNIT)  # no flag: the profile's app signs
        assert "Signature" in running.admin_calls()[-1].headers
