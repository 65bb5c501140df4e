"""`lgsp login`: the RFC 8628 device flow against the hub's provider (R-COMP-6, R-OPS-3),
and the sign-in file it leaves (mode 0600, written whole, no token ever printed)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.sso import SCOPE
from tests.client.fakeop import PERSON
from tests.client.signin import Hub, person_hub, write_profiles


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Hub]:
    with person_hub(monkeypatch, tmp_path) as running:
        monkeypatch.setenv("LGSP_ENDPOINT", running.server.url)
        yield running


def _no_secret_in(hub: Hub, *texts: str) -> None:
    for secret in hub.tokens():
        for text in texts:
            assert secret not in text


def test_device_flow_waits_through_pending_and_slow_down(
        hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.script = ["authorization_pending", "slow_down", "authorization_pending", "ok"]
    code, out = hub.lgsp("login")
    err = capsys.readouterr().err
    assert code == 0
    assert hub.waits.naps == [5, 5, 10, 10]  # interval, then +5 s after slow_down
    [device] = hub.op.calls_to("device")
    assert device == {"client_id": "lgsp-cli", "scope": SCOPE}
    polls = hub.op.calls_to("token")
    assert len(polls) == 4
    assert polls[0] == {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                        "device_code": hub.op.device_codes[0], "client_id": "lgsp-cli"}
    verify = f"{hub.op.issuer}/device/verify"
    assert hub.opened == [f"{verify}?user_code=WDJB-MJHT"]
    assert verify in err and "WDJB-MJHT" in err and "A browser was opened" in err
    assert out == (f"signed in as {PERSON['preferred_username']} (Nguyễn Văn A), "
                   "unit 000.00.12.H40, roles unit_admin\n")
    _no_secret_in(hub, out, err)


def test_the_sign_in_file_is_private_and_complete(hub: Hub,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert hub.lgsp("login")[0] == 0
    path = hub.session_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(hub.sso_dir.stat().st_mode) == 0o700
    assert sorted(p.name for p in hub.sso_dir.iterdir()) == [".default.lock", "default.json"]
    data = hub.stored()
    assert data["access_token"] == hub.op.latest_access()
    assert data["refresh_token"] == hub.op.latest_refresh()
    assert {k: data[k] for k in ("version", "profile", "endpoint", "issuer", "client_id",
                                 "token_endpoint", "revocation_endpoint", "scope")} == {
        "version": 1, "profile": "default", "endpoint": hub.server.url,
        "issuer": hub.op.issuer, "client_id": "lgsp-cli",
        "token_endpoint": f"{hub.op.issuer}/token",
        "revocation_endpoint": f"{hub.op.issuer}/revoke", "scope": SCOPE}
    assert data["person"] == PERSON
    assert data["expires_at"].endswith("Z") and data["signed_in_at"].endswith("Z")
    assert "id_token" not in data and hub.op.device_codes[0] not in path.read_text()
    captured = capsys.readouterr()
    _no_secret_in(hub, captured.out, captured.err)


def test_refused_in_the_browser(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.script = ["authorization_pending", "access_denied"]
    code, out = hub.lgsp("login")
    assert (code, out) == (4, "")
    assert "error: access_denied: the sign-in was refused in the browser" in \
        capsys.readouterr().err
    assert not hub.session_file().exists()


def test_code_expired_at_the_hub(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.script = ["authorization_pending", "expired_token"]
    assert hub.lgsp("login")[0] == 5
    err = capsys.readouterr().err
    assert "error: expired_token:" in err and "run lgsp login again" in err
    assert not hub.session_file().exists()


def test_code_expires_here_when_the_hub_keeps_saying_pending(hub: Hub) -> None:
    hub.op.script = ["authorization_pending"]
    hub.op.device_expires_in = 12
    assert hub.lgsp("login")[0] == 5
    assert hub.waits.naps == [5, 5, 5] and len(hub.op.calls_to("token")) == 2


def test_an_unavailable_provider_is_polled_less_often(hub: Hub) -> None:
    hub.op.script = ["http_503", "authorization_pending", "ok"]
    assert hub.lgsp("login")[0] == 0
    assert hub.waits.naps == [5, 10, 10]


def test_no_browser_by_flag_or_without_a_display(hub: Hub,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert hub.lgsp("login", "--no-browser")[0] == 0
    assert hub.opened == [] and "WDJB-MJHT" in capsys.readouterr().err
    hub.environ.clear()  # a Linux shell over SSH: no DISPLAY, no WAYLAND_DISPLAY
    assert hub.lgsp("login")[0] == 0
    assert hub.opened == []


def test_another_issuer_in_the_settings_is_refused(hub: Hub,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.issuer_override = "https://elsewhere.example/sso"
    assert hub.lgsp("login")[0] == 1
    assert "error: invalid_response:" in capsys.readouterr().err
    assert hub.op.calls_to("device") == []


def test_signing_in_again_replaces_and_ends_the_previous_sign_in(hub: Hub) -> None:
    assert hub.lgsp("login")[0] == 0
    first = hub.stored()["refresh_token"]
    assert hub.lgsp("login")[0] == 0
    assert hub.stored()["refresh_token"] != first
    assert hub.op.calls_to("revoke") == [{"token": first, "token_type_hint": "refresh_token",
                                          "client_id": "lgsp-cli"}]
    assert hub.op.refresh[first] == "revoked"


def test_a_named_profile_gets_its_own_file_and_needs_to_exist(
        hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    write_profiles(hub, "[work]\nendpoint = URL\nauth = sso\n")
    assert hub.lgsp("login", "--profile", "work")[0] == 0
    assert hub.stored("work")["profile"] == "work"
    assert not hub.session_file().exists()
    assert hub.lgsp("login", "--profile", "nowhere")[0] == 1
    assert "profile [nowhere] not found" in capsys.readouterr().err


def test_without_an_id_token_the_person_comes_from_userinfo(hub: Hub) -> None:
    hub.op.with_id_token = False
    assert hub.lgsp("login")[0] == 0
    assert hub.stored()["person"]["preferred_username"] == PERSON["preferred_username"]
    assert [p for p, _ in hub.op.calls].count("/sso/userinfo") == 1


def test_any_profile_name_makes_a_file_name_and_never_a_path(hub: Hub) -> None:
    write_profiles(hub, "[my desk/../x]\nendpoint = URL\n")
    assert hub.lgsp("login", "--profile", "my desk/../x")[0] == 0
    assert hub.stored("my%20desk%2F..%2Fx")["profile"] == "my desk/../x"
    assert sorted(p.name for p in hub.sso_dir.iterdir()) == [
        ".my%20desk%2F..%2Fx.lock", "my%20desk%2F..%2Fx.json"]
