"""The regulation's SSO forms take effect (R-OPS-1, R-SSO-1, R-JOIN-4, R-OPS-3): form 08's
approval registers an SSO client (or changes its URLs), form 09's creates the unit's SSO
admin, form 12's disables the client at once and logs everyone out of it. Secrets and
set-password links are in the approval answer only: never in the request, its letters or
the logs."""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from chalicelib import bootstrap
from tests.integration.test_join_requests import (
    LETTER,
    OPERATOR,
    People,
    approved,
    download,
    filed,
    make_people,
    text_of,
)
from tests.integration.test_sso_flow import login
from tests.support.hub import HOST, UNIT_A, UNIT_B, World
from tests.support.sso import (
    ISSUER,
    PASSWORD,
    Answer,
    Browser,
    RecordingPoster,
    authorize_url,
    code_of,
    make_person,
    otp,
    pkce,
)

APP = "https://qlvb.example.gov.vn"
CALLBACK = f"{APP}/callback"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
FORM_08 = {**LETTER, "system_name": "Phần mềm quản lý văn bản", "short_name": "QLVB",
           "developer": "Công ty Cổ phần Phần mềm Bắc Giang",
           "purpose": "Cán bộ đăng nhập một lần", "app_url": APP,
           "redirect_uris": [CALLBACK], "post_logout_redirect_uris": [f"{APP}/"],
           "backchannel_logout_uri": f"{APP}/sso/logout"}
FORM_09 = {**LETTER, "username": "qtsso",
           "admin": {"name": "Trần Thị Lan", "position": "Trưởng phòng",
                     "email": "lan@stc.example.gov.vn"}}
CLI_SCOPE = "openid profile unit offline_access lgsp:admin"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    # The hub's public URL, as in production: the issuer the apps see, whoever asks.
    return {"operator_units": OPERATOR, "public_url": f"https://{HOST}"}


@pytest.fixture
def sso(hub: World) -> Iterator[tuple[World, RecordingPoster]]:
    poster = RecordingPoster()
    hub.deps = dataclasses.replace(hub.deps, poster=poster)
    bootstrap.install(hub.deps)
    yield hub, poster


@pytest.fixture
def people(sso: tuple[World, RecordingPoster]) -> People:
    return make_people(sso[0])


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(
        f"{client_id}:{secret}".encode()).decode()}


def token(browser: Browser, form: dict[str, str], headers: dict[str, str] | None = None
          ) -> Answer:
    return browser.request("POST", f"{ISSUER}/token", form, headers)


def userinfo(browser: Browser, access_token: str) -> Answer:
    return browser.request("GET", f"{ISSUER}/userinfo",
                           headers={"authorization": f"Bearer {access_token}"})


def register(people: People, **changes: Any) -> dict[str, Any]:
    """Form 08 filed by unit A's admin and approved: the approval answer."""
    request = filed(people.admin_a, "sso_register_app", {**FORM_08, **changes})
    assert request["state"] == "submitted", request["missing"]
    return approved(people, request["id"], answer_number="90/STTTT-CNTT")


def code_flow(hub: World, browser: Browser, client_id: str, secret: str | None, *,
              person: tuple[str, str | None], redirect: str = CALLBACK) -> Answer:
    """A person logs in to the app through the SSO: the token endpoint's answer."""
    verifier, challenge = pkce()
    account, totp = person
    done = login(browser, authorize_url(client_id, redirect, challenge), account, PASSWORD,
                 totp, hub)
    assert done.status == 302 and done.location.startswith(redirect), done.text
    form = {"grant_type": "authorization_code", "code": code_of(done.location)["code"],
            "redirect_uri": redirect, "code_verifier": verifier}
    return token(browser, form, basic(client_id, secret) if secret else None)


def test_form_08_registers_a_client_that_logs_people_in(
        sso: tuple[World, RecordingPoster], people: People,
        caplog: pytest.LogCaptureFixture) -> None:
    hub, _ = sso
    caplog.set_level(logging.DEBUG)
    answer = register(people)
    app = answer["sso"]
    assert app["discovery_url"] == DISCOVERY and app["client_id"].startswith("sso-")
    assert app["redirect_uris"] == [CALLBACK]
    assert app["post_logout_redirect_uris"] == [f"{APP}/"]
    assert app["backchannel_logout_uri"] == f"{APP}/sso/logout"
    assert app["token_endpoint_auth_method"] == "client_secret_basic"
    secret = app["client_secret"]
    assert secret and answer["credentials"] is None

    # The discovery URL in the answer is the provider's.
    browser = Browser(hub.client)
    discovered = browser.get(app["discovery_url"])
    assert discovered.status == 200 and discovered.json()["issuer"] == ISSUER

    # A person of the unit logs in to the new app; the secret works at the token endpoint.
    account, totp = make_person(hub.deps, UNIT_A, "nva", ["member"])
    tokens = code_flow(hub, browser, app["client_id"], secret, person=(account, totp))
    assert tokens.status == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert claims["aud"] in (app["client_id"], [app["client_id"]])
    assert claims["preferred_username"] == account
    assert userinfo(browser, tokens.json()["access_token"]).status == 200
    wrong = token(browser, {"grant_type": "refresh_token",
                            "refresh_token": tokens.json()["refresh_token"]},
                  basic(app["client_id"], secret[:-2] + "xx"))
    assert wrong.status == 401 and wrong.json()["error"] == "invalid_client"

    # Shown once: not in the request (unit or operator), not again, not in the letter.
    request_id = answer["request"]["id"]
    path = f"/v1/admin/requests/{request_id}"
    result = answer["request"]["result"]
    assert result["client_id"] == app["client_id"] and "client_secret" not in result
    for client in (people.admin_a, people.operator):
        assert secret not in str(client.get(path).body)
    again = people.operator.post(path + "/approve")
    assert again.status == 409 and again.code == "already_answered"
    status, _, letter = download(people.admin_a, path + "/letter")
    text = text_of(letter)
    assert status == 200
    for expected in (DISCOVERY, app["client_id"], CALLBACK, f"{APP}/sso/logout",
                     "bàn giao trực tiếp", "90/STTTT-CNTT"):
        assert expected in text, expected
    assert secret not in text
    listed = people.admin_a.get(f"/v1/admin/units/{UNIT_A}/sso-apps").body["items"]
    assert [(a["client_id"], a["status"]) for a in listed] == [(app["client_id"], "active")]
    assert caplog.records and secret not in caplog.text


def test_a_public_client_and_a_key_client_have_no_secret(people: People) -> None:
    public = register(people, client_type="public")["sso"]
    assert public["client_secret"] is None
    assert (public["client_type"], public["token_endpoint_auth_method"]) == ("public", "none")
    key = {"kty": "RSA", "e": "AQAB", "kid": "k1", "n": base64.urlsafe_b64encode(
        (2**2047 + 1).to_bytes(256, "big")).rstrip(b"=").decode()}
    keyed = register(people, token_auth="private_key_jwt", jwks={"keys": [key]})["sso"]
    assert keyed["client_secret"] is None
    assert keyed["token_endpoint_auth_method"] == "private_key_jwt"


def test_a_url_change_takes_effect_only_on_approval(sso: tuple[World, RecordingPoster],
                                                    people: People) -> None:
    hub, _ = sso
    app = register(people)["sso"]
    client_id, new_callback = app["client_id"], "https://qlvb-moi.example.gov.vn/callback"
    browser = Browser(hub.client)
    _, challenge = pkce()

    def accepted(redirect: str) -> bool:
        answer = browser.get(authorize_url(client_id, redirect, challenge))
        return answer.status == 302 and "/sso/login" in answer.location

    change = filed(people.admin_a, "sso_register_app", {
        **FORM_08, "client_id": client_id, "redirect_uris": [new_callback],
        "post_logout_redirect_uris": []})
    assert change["state"] == "submitted" and change["due_date"]  # the 5-day clock runs
    assert accepted(CALLBACK) and not accepted(new_callback)  # not before approval

    answer = approved(people, change["id"])
    assert answer["sso"]["changed"] is True and answer["sso"]["client_secret"] is None
    assert answer["sso"]["client_id"] == client_id
    assert accepted(new_callback) and not accepted(CALLBACK)
    listed = people.admin_a.get(f"/v1/admin/units/{UNIT_A}/sso-apps").body["items"]
    assert len(listed) == 1 and listed[0]["redirect_uris"] == [new_callback]
    assert listed[0]["post_logout_redirect_uris"] == []  # a change states the URLs in full
    assert listed[0]["backchannel_logout_uri"] == f"{APP}/sso/logout"

    # The old secret still works: a change of URLs is no new registration.
    person = make_person(hub.deps, UNIT_A, "nva", ["member"])
    tokens = code_flow(hub, Browser(hub.client), client_id, app["client_secret"],
                       person=person, redirect=new_callback)
    assert tokens.status == 200, tokens.text

    # Another unit cannot change (or even name) this app; a change keeps the client's kind.
    other = people.admin_b.post("/v1/admin/requests", {"kind": "sso_register_app", "fields": {
        **FORM_08, "client_id": client_id}})
    assert other.status == 404 and other.code == "sso_app_not_found"
    kind = people.admin_a.post("/v1/admin/requests", {"kind": "sso_register_app", "fields": {
        **FORM_08, "client_id": client_id, "client_type": "public"}})
    assert kind.status == 400 and kind.code == "validation_failed"


@pytest.mark.parametrize(("field", "value", "named"), [
    ("redirect_uris", [CALLBACK, "http://qlvb.example.gov.vn/cb"], "redirect_uris[1]"),
    ("redirect_uris", ["https://qlvb.example.gov.vn/cb#frag"], "redirect_uris[0]"),
    ("redirect_uris", ["https://user:pw@qlvb.example.gov.vn/cb"], "redirect_uris[0]"),
    ("redirect_uris", ["javascript:alert(1)"], "redirect_uris[0]"),
    ("post_logout_redirect_uris", ["ftp://qlvb.example.gov.vn/"], "post_logout_redirect_uris[0]"),
    ("backchannel_logout_uri", "http://qlvb.example.gov.vn/bcl", "backchannel_logout_uri"),
])
def test_bad_sso_urls_are_refused_and_nothing_is_stored(
        people: People, field: str, value: Any, named: str) -> None:
    reply = people.admin_a.post("/v1/admin/requests", {"kind": "sso_register_app",
                                                       "fields": {**FORM_08, field: value}})
    assert reply.status == 400 and reply.code == "invalid_sso_url"
    assert f"fields.{named}" in reply.body["error"]["message"]
    assert people.admin_a.get("/v1/admin/requests").body["items"] == []
    # A draft's change is checked the same way.
    draft = filed(people.admin_a, "sso_register_app", {**LETTER, "system_name": "QLVB"})
    assert "redirect_uris" in draft["missing"]
    patch = people.admin_a.call("PATCH", f"/v1/admin/requests/{draft['id']}",
                                {"fields": {field: value}})
    assert patch.status == 400 and patch.code == "invalid_sso_url"


@pytest.mark.parametrize(("changes", "code"), [
    ({"redirect_uris": []}, "validation_failed"),
    ({"redirect_uris": [f"{APP}/{i}" for i in range(11)]}, "validation_failed"),
    ({"client_type": "public", "token_auth": "client_secret_basic"}, "validation_failed"),
    ({"token_auth": "none"}, "validation_failed"),
    ({"jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}}, "validation_failed"),
    ({"token_auth": "private_key_jwt",
      "jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}]}},
     "validation_failed"),
    ({"token_auth": "private_key_jwt", "jwks": {"keys": [{"kty": "RSA", "n": "AQAB"}]}},
     "invalid_jwks"),
])
def test_bad_client_kinds_and_keys_are_refused(people: People, changes: dict[str, Any],
                                               code: str) -> None:
    reply = people.admin_a.post("/v1/admin/requests", {"kind": "sso_register_app",
                                                       "fields": {**FORM_08, **changes}})
    assert reply.status == 400 and reply.code == code, reply.body


def test_private_key_jwt_without_its_keys_stays_a_draft(people: People) -> None:
    draft = filed(people.admin_a, "sso_register_app", {**FORM_08,
                                                       "token_auth": "private_key_jwt"})
    assert draft["state"] == "draft" and draft["missing"] == ["jwks"]


def test_urls_are_checked_again_at_approval(sso: tuple[World, RecordingPoster],
                                            people: People) -> None:
    hub, _ = sso
    hub.deps = dataclasses.replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"sso_allow_http_backchannel": True}))
    bootstrap.install(hub.deps)
    request = filed(people.admin_a, "sso_register_app", {
        **FORM_08, "backchannel_logout_uri": "http://qlvb.noibo/bcl"})  # allowed: filed
    hub.deps = dataclasses.replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"sso_allow_http_backchannel": False}))
    bootstrap.install(hub.deps)  # the operator turned http off meanwhile
    reply = people.operator.post(f"/v1/admin/requests/{request['id']}/approve")
    assert reply.status == 400 and reply.code == "invalid_sso_url"
    assert "backchannel_logout_uri" in reply.body["error"]["message"]
    assert people.admin_a.get(f"/v1/admin/requests/{request['id']}").body["state"] == \
        "submitted"
    assert people.admin_a.get(f"/v1/admin/units/{UNIT_A}/sso-apps").body["items"] == []


def device_login(hub: World, browser: Browser, link: str, account: str) -> dict[str, Any]:
    """The new SSO admin sets their password with the one-time link, then signs the
    `lgsp` CLI in (device flow), enrolling TOTP on the way: the CLI's tokens."""
    page = browser.get(link)
    assert page.status == 200 and 'id="password-form"' in page.text
    done = browser.submit(page, {"new_password": PASSWORD, "new_password_again": PASSWORD})
    assert done.status == 200, done.text
    device = browser.request("POST", f"{ISSUER}/device",
                             {"client_id": "lgsp-cli", "scope": CLI_SCOPE}).json()
    first = browser.follow(browser.get(device["verification_uri_complete"]))
    assert 'id="login-form"' in first.text
    setup = browser.follow(browser.submit(first, {"account": account, "password": PASSWORD}))
    assert 'id="otp-setup-form"' in setup.text  # an admin role needs a second factor
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', setup.text)
    assert secret
    confirm = browser.follow(browser.submit(setup, {"otp": otp(secret.group(1), hub.deps)}))
    assert 'id="device-form"' in confirm.text
    decided = browser.submit(confirm, {"user_code": device["user_code"],
                                       "decision": "approve"})
    assert decided.status == 200, decided.text
    tokens = token(browser, {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                             "device_code": device["device_code"], "client_id": "lgsp-cli"})
    assert tokens.status == 200, tokens.text
    return dict(tokens.json())


def test_form_09_creates_an_sso_admin_who_manages_only_their_units_sso_apps(
        sso: tuple[World, RecordingPoster], people: People,
        caplog: pytest.LogCaptureFixture) -> None:
    hub, _ = sso
    caplog.set_level(logging.DEBUG)
    app = register(people)["sso"]
    request = filed(people.admin_a, "sso_admin_account", FORM_09)
    assert request["state"] == "submitted"
    answer = approved(people, request["id"], answer_number="91/STTTT-CNTT",
                      handover_by={"name": "Phạm Quốc Bảo", "position": "Phó Giám đốc"})
    account = f"qtsso@{UNIT_A}@{hub.deps.settings.province_domain}"
    person, link = answer["account"]["person"], answer["account"]["link"]
    assert person["account"] == account and person["roles"] == ["sso_admin"]
    assert person["name"] == "Trần Thị Lan" and person["password_set"] is False
    assert link.startswith(f"{ISSUER}/setup/") and answer["credentials"] is None
    assert answer["request"]["result"] == {"account": account, "username": "qtsso",
                                           "roles": ["sso_admin"]}

    # The link is in the answer only: not in the request, its letters or the logs.
    secret_part = link.rsplit("/", 1)[1]
    path = f"/v1/admin/requests/{request['id']}"
    assert secret_part not in str(people.admin_a.get(path).body)
    for form in ("", "?form=11"):
        status, _, letter = download(people.admin_a, f"{path}/letter{form}")
        text = text_of(letter)
        assert status == 200 and account in text and "Trần Thị Lan" in text
        assert secret_part not in text and "/setup/" not in text
    assert secret_part not in caplog.text and app["client_secret"] not in caplog.text

    tokens = device_login(hub, Browser(hub.client), link, account)
    bearer = {"host": HOST, "authorization": f"Bearer {tokens['access_token']}"}
    own = hub.client.http.get(f"/v1/admin/units/{UNIT_A}/sso-apps", headers=bearer)
    assert own.status_code == 200, own.body
    assert [a["client_id"] for a in own.json_body["items"]] == [app["client_id"]]
    other = hub.client.http.get(f"/v1/admin/units/{UNIT_B}/sso-apps", headers=bearer)
    assert other.status_code == 403
    create = hub.client.http.post(
        f"/v1/admin/units/{UNIT_A}/people", headers={**bearer,
                                                     "content-type": "application/json"},
        body=b'{"username": "nvb", "name": "Nguyen Van B"}')
    assert create.status_code == 403 and create.json_body["error"]["code"] == "forbidden"
    assert hub.client.http.get(path, headers=bearer).status_code == 403  # no requests

    created = [h for h in people.operator.get(f"/v1/admin/units/{UNIT_A}/history").body[
        "items"] if h["event"] == "person_created"]
    assert [h["detail"] for h in created] == [{"account": account, "roles": ["sso_admin"],
                                               "request": request["id"]}]

    # The same account twice: refused when filed, before any answer clock runs.
    again = people.admin_a.post("/v1/admin/requests", {"kind": "sso_admin_account",
                                                       "fields": FORM_09})
    assert again.status == 409 and again.code == "person_exists"


def test_form_09_without_a_user_name_stays_a_draft(people: People) -> None:
    draft = filed(people.admin_a, "sso_admin_account",
                  {k: v for k, v in FORM_09.items() if k != "username"})
    assert draft["state"] == "draft" and draft["missing"] == ["username"]
    bad = people.admin_a.post("/v1/admin/requests", {"kind": "sso_admin_account",
                                                     "fields": {**FORM_09, "username": "Lan!"}})
    assert bad.status == 400 and bad.code == "validation_failed"


def test_form_12_disables_the_client_at_once_and_logs_everyone_out(
        sso: tuple[World, RecordingPoster], people: People) -> None:
    hub, poster = sso
    app = register(people)["sso"]
    client_id, secret = app["client_id"], app["client_secret"]
    person = make_person(hub.deps, UNIT_A, "nva", ["member"])
    browser = Browser(hub.client)
    tokens = code_flow(hub, browser, client_id, secret, person=person).json()
    assert userinfo(browser, tokens["access_token"]).status == 200

    # Another unit cannot name the app; its own unit files form 12.
    foreign = people.admin_b.post("/v1/admin/requests", {"kind": "sso_cancel_app", "fields": {
        **LETTER, "client_id": client_id, "reason": "x"}})
    assert foreign.status == 404 and foreign.code == "sso_app_not_found"
    request = filed(people.admin_a, "sso_cancel_app", {
        **LETTER, "client_id": client_id, "reason": "Ứng dụng đã ngưng hoạt động"})
    assert request["state"] == "submitted"
    assert userinfo(browser, tokens["access_token"]).status == 200  # not yet
    assert poster.sent == []

    answer = approved(people, request["id"], answer_number="92/STTTT-CNTT")
    assert answer["request"]["result"] == {"client_id": client_id,
                                           "app_name": FORM_08["system_name"]}
    assert "1 session" in answer["note"]

    # From that instant: the access token, the refresh token, the client itself refused.
    info = userinfo(browser, tokens["access_token"])
    assert info.status == 401 and info.json()["error"] == "invalid_token"
    refresh = token(browser, {"grant_type": "refresh_token",
                              "refresh_token": tokens["refresh_token"]},
                    basic(client_id, secret))
    assert refresh.status == 401 and refresh.json()["error"] == "invalid_client"
    _, challenge = pkce()
    at_login = browser.get(authorize_url(client_id, CALLBACK, challenge))
    assert at_login.status == 400 and not at_login.location  # no redirect to the app

    # The app was told by a back-channel logout token for the person's session.
    assert [url for url, _ in poster.sent] == [f"{APP}/sso/logout"]
    jwks = browser.get(f"{ISSUER}/jwks").json()
    claims = jwt.decode(poster.sent[0][1]["logout_token"], jwt.PyJWK(jwks["keys"][0]),
                        algorithms=["RS256"], audience=client_id, issuer=ISSUER,
                        options={"verify_exp": False, "verify_iat": False})
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    assert claims["sid"].startswith("s-") and "nonce" not in claims

    listed = people.admin_a.get(f"/v1/admin/units/{UNIT_A}/sso-apps").body["items"]
    assert [a["status"] for a in listed] == ["disabled"]
    status, _, letter = download(people.admin_a, f"/v1/admin/requests/{request['id']}/letter")
    assert status == 200 and client_id in text_of(letter) and "92/STTTT-CNTT" in text_of(letter)
    history = people.operator.get(f"/v1/admin/units/{UNIT_A}/history").body["items"]
    sso_events = [(h["event"], h["detail"]["client_id"]) for h in history
                  if h["event"].startswith("sso_app")]
    assert sso_events == [("sso_app_disabled", client_id), ("sso_app_registered", client_id)]
    twice = people.admin_a.post("/v1/admin/requests", {"kind": "sso_cancel_app", "fields": {
        **LETTER, "client_id": client_id, "reason": "x"}})
    assert twice.status == 409 and twice.code == "sso_app_disabled"


def test_form_12_needs_the_client_id(people: People) -> None:
    draft = filed(people.admin_a, "sso_cancel_app", {**LETTER, "system_name": "QLVB",
                                                     "reason": "Ngưng hoạt động"})
    assert draft["state"] == "draft" and draft["missing"] == ["client_id"]
