"""Acting as the signed-in person (R-COMP-6, R-OPS-3): admin commands send `Authorization:
Bearer` instead of the RFC 9421 signature, renew the access token before it expires and
once after a 401 `token_expired`, store the rotated refresh token; `lgsp logout` revokes
and forgets; `lgsp whoami` shows the person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.sso_session import PersonTokens, SessionStore
from tests.client.fakeop import PERSON
from tests.client.signin import APP_UNIT, Hub, person_hub, write_profiles

LIST = ("admin", "requests", "list")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Hub]:
    """Signed in as the person on the default profile, which also has an app key."""
    with person_hub(monkeypatch, tmp_path) as running:
        write_profiles(running, "[default]\nendpoint = URL\n")
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
        monkeypatch.setenv("LGSP_SECRET_KEY", "src-secret")
        assert running.lgsp("login")[0] == 0
        yield running


def _auth_of(hub: Hub) -> str:
    headers = hub.admin_calls()[-1].headers
    if "Authorization" in headers:
        assert "Signature" not in headers and "Signature-Input" not in headers
        scheme, _, token = headers["Authorization"].partition(" ")
        assert scheme == "Bearer"
        return token
    assert "Signature" in headers
    return "signature"


def test_as_person_sends_the_bearer_token_instead_of_a_signature(hub: Hub) -> None:
    assert hub.lgsp(*LIST)[0] == 0
    assert _auth_of(hub) == "signature"  # the profile has a key: the app, unless asked
    assert hub.lgsp("--as-person", *LIST)[0] == 0
    assert _auth_of(hub) == hub.op.latest_access()
    assert hub.lgsp("admin", "requests", "file", "--kind", "register_app", "--set",
                    "purpose=x", "--as-person")[0] == 0
    assert _auth_of(hub) == hub.op.latest_access()
    assert hub.admin.requests[next(iter(hub.admin.requests))]["unit"] == PERSON["unit"]


def test_who_is_the_caller_by_profile_setting(hub: Hub, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_profiles(hub, "[default]\nendpoint = URL\nauth = sso\n")
    assert hub.lgsp(*LIST)[0] == 0 and _auth_of(hub) == hub.op.latest_access()
    monkeypatch.setenv("LGSP_AUTH", "signature")  # the environment beats the file
    assert hub.lgsp(*LIST)[0] == 0 and _auth_of(hub) == "signature"
    monkeypatch.delenv("LGSP_AUTH")
    monkeypatch.delenv("LGSP_ACCESS_KEY")  # no key, a sign-in: the person, unasked
    write_profiles(hub, "[default]\nendpoint = URL\n")
    assert hub.lgsp(*LIST)[0] == 0 and _auth_of(hub) == hub.op.latest_access()
    monkeypatch.setenv("LGSP_AUTH", "kerberos")
    assert hub.lgsp(*LIST)[0] == 1
    assert "auth must be signature or sso" in capsys.readouterr().err


def test_the_token_goes_to_no_other_hub(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    assert hub.lgsp("--as-person", "--endpoint", "http://127.0.0.1:9", *LIST)[0] == 1
    assert f"is signed in to {hub.server.url}, not http://127.0.0.1:9" in \
        capsys.readouterr().err


def test_renewed_before_it_expires_and_the_rotated_refresh_token_stored(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with person_hub(monkeypatch, tmp_path) as hub:
        monkeypatch.setenv("LGSP_ENDPOINT", hub.server.url)
        hub.op.access_lifetime = 20  # expires within the 30 s margin
        assert hub.lgsp("login")[0] == 0
        first_access, first_refresh = hub.op.latest_access(), hub.op.latest_refresh()
        hub.op.access_lifetime = 300
        assert hub.lgsp(*LIST)[0] == 0
        assert hub.op.refreshes() == [{"grant_type": "refresh_token",
                                       "refresh_token": first_refresh,
                                       "client_id": "lgsp-cli"}]
        assert hub.op.refresh[first_refresh] == "used"
        new_access, new_refresh = hub.op.latest_access(), hub.op.latest_refresh()
        assert new_access != first_access and new_refresh != first_refresh
        assert _auth_of(hub) == new_access and len(hub.admin_calls()) == 1
        stored = hub.stored()
        assert (stored["access_token"], stored["refresh_token"]) == (new_access, new_refresh)
        assert hub.lgsp(*LIST)[0] == 0 and len(hub.op.refreshes()) == 1  # fresh: kept
        captured = capsys.readouterr()
        for secret in hub.tokens():
            assert secret not in captured.out and secret not in captured.err


def test_a_token_expired_answer_renews_once_and_retries_once(
        hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.expire(hub.op.latest_access())  # the hub's clock says so, not this machine's
    assert hub.lgsp("--as-person", *LIST)[0] == 0
    assert len(hub.op.refreshes()) == 1 and len(hub.admin_calls()) == 2
    assert _auth_of(hub) == hub.op.latest_access() == hub.stored()["access_token"]

    calls = len(hub.admin_calls())
    hub.op.every_token_expired = True
    assert hub.lgsp("--as-person", *LIST)[0] == 1
    assert len(hub.admin_calls()) == calls + 2 and len(hub.op.refreshes()) == 2
    assert "error: token_expired:" in capsys.readouterr().err


def test_a_refused_renewal_says_sign_in_again_and_forgets_the_sign_in(
        hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.expire(hub.op.latest_access())
    hub.op.refuse_refresh = True
    assert hub.lgsp("--as-person", *LIST)[0] == 1
    err = capsys.readouterr().err
    assert "error: sign_in_expired:" in err and "run lgsp login again" in err
    assert not hub.session_file().exists()
    assert hub.lgsp("--as-person", *LIST)[0] == 1
    assert "not signed in as a person: run lgsp login" in capsys.readouterr().err


def test_two_processes_never_spend_the_same_refresh_token(hub: Hub) -> None:
    store = SessionStore(hub.sso_dir, "default")
    session = store.load()
    assert session is not None
    late = session.expires_at - 10  # both see the token expiring within 30 s
    first = PersonTokens(store, session, clock=lambda: late)
    second = PersonTokens(store, session, clock=lambda: late)
    renewed = first.access_token()
    assert second.access_token() == renewed  # read from the file, not renewed again
    assert len(hub.op.refreshes()) == 1
    assert hub.op.refresh[session.refresh_token or ""] == "used"


def test_logout_revokes_the_refresh_token_and_deletes_the_file(hub: Hub) -> None:
    refresh = hub.stored()["refresh_token"]
    code, out = hub.lgsp("logout")
    assert (code, out) == (0, f"signed out: {PERSON['preferred_username']} "
                              "(profile [default])\n")
    assert hub.op.calls_to("revoke") == [{"token": refresh, "token_type_hint": "refresh_token",
                                          "client_id": "lgsp-cli"}]
    assert hub.op.refresh[refresh] == "revoked" and not hub.session_file().exists()
    assert hub.lgsp("logout") == (0, "profile [default] is not signed in\n")
    assert len(hub.op.calls_to("revoke")) == 1


def test_logout_when_the_hub_cannot_be_told(hub: Hub,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    hub.op.revoke_status = 503
    assert hub.lgsp("logout")[0] == 1
    assert "removed from this machine, but the hub could not end it" in \
        capsys.readouterr().err
    assert not hub.session_file().exists()


def test_whoami_shows_the_person_and_the_app(hub: Hub, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = hub.lgsp("whoami")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == f"person:   {PERSON['preferred_username']}"
    assert lines[1:4] == ["name:     Nguyễn Văn A", "unit:     000.00.12.H40 (Sở Nội vụ)",
                          "roles:    unit_admin"]
    assert lines[4].startswith("expires:  ") and "renewed by itself" in lines[4]
    assert f"unit:      {APP_UNIT}" in lines  # then the key's unit and app, from the hub
    calls = len(hub.server.received)
    assert hub.lgsp("whoami", "--as-person")[1] == out.split("\n\n")[0] + "\n"
    assert len(hub.server.received) == calls  # the person is read here, not asked for
    assert hub.lgsp("logout")[0] == 0
    assert hub.lgsp("whoami", "--as-person")[0] == 1
    assert "error: not_signed_in: profile [default] is not signed in as a person" in \
        capsys.readouterr().err
    for secret in hub.tokens():
        assert secret not in out


def test_a_person_only_machine_needs_no_profile_file(hub: Hub,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    hub.credentials.unlink()
    monkeypatch.delenv("LGSP_ACCESS_KEY")
    monkeypatch.delenv("LGSP_SECRET_KEY")
    assert hub.lgsp("login")[0] == 0  # the hub of the sign-in it replaces
    assert hub.lgsp(*LIST)[0] == 0 and _auth_of(hub) == hub.op.latest_access()


def test_an_unreadable_sign_in_stops_only_the_person(hub: Hub,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    hub.session_file().write_text("{not json", encoding="utf-8")
    assert hub.lgsp(*LIST)[0] == 0 and _auth_of(hub) == "signature"
    assert hub.lgsp("--as-person", *LIST)[0] == 1
    assert "cannot be read" in capsys.readouterr().err
    assert hub.lgsp("logout") == (0, "removed the unreadable sign-in of profile [default]\n")
    assert not hub.session_file().exists()
