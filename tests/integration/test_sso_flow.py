"""The single sign-on's code flow through the API (R-COMP-6, R-SSO-1): login with a
password and TOTP, code + PKCE, tokens, userinfo, refresh rotation, and the refusals."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from chalicelib import bootstrap
from tests.support.hub import UNIT_A, World
from tests.support.sso import (
    ISSUER,
    Browser,
    RecordingPoster,
    authorize_url,
    code_of,
    make_client,
    make_person,
    otp,
    pkce,
)

APP_A = "https://app-a.example.gov.vn/callback"


@pytest.fixture
def sso(hub: World) -> Iterator[tuple[World, RecordingPoster]]:
    poster = RecordingPoster()
    hub.deps = dataclasses.replace(hub.deps, poster=poster)
    bootstrap.install(hub.deps)
    yield hub, poster


def login(browser: Browser, page_url: str, account: str, password: str,  # noqa: PLR0917
          secret: str | None, hub: World) -> Any:
    first = browser.follow(browser.get(page_url))
    assert first.status == 200 and 'id="login-form"' in first.text
    answer = browser.follow(browser.submit(first, {"account": account, "password": password}))
    if secret is not None:
        assert 'id="otp-form"' in answer.text
        answer = browser.submit(answer, {"otp": otp(secret, hub.deps)})
        answer = browser.follow(answer)
    return answer


def token_request(browser: Browser, form: dict[str, str], auth: tuple[str, str] | None):
    headers = {}
    if auth:
        import base64
        headers["authorization"] = "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode()
    return browser.request("POST", f"{ISSUER}/token", form, headers)


def test_code_flow_with_pkce_gives_verified_tokens(sso: tuple[World, RecordingPoster]) -> None:
    hub, _ = sso
    account, secret = make_person(hub.deps, UNIT_A, "nva", ["member"])
    client_id, client_secret = make_client(hub.deps, UNIT_A, "App A", [APP_A])
    assert client_secret
    browser = Browser(hub.client)
    verifier, challenge = pkce()
    done = login(browser, authorize_url(client_id, APP_A, challenge), account,
                 "mật-khẩu-đủ-dài-1", secret, hub)
    assert done.status == 302 and done.location.startswith(APP_A)
    params = code_of(done.location)
    assert params["state"] == "st"
    tokens = token_request(browser, {"grant_type": "authorization_code", "code": params["code"],
                                     "redirect_uri": APP_A, "code_verifier": verifier},
                           (client_id, client_secret))
    assert tokens.status == 200, tokens.text
    body = tokens.json()
    jwks = browser.get(f"{ISSUER}/jwks").json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=client_id,
                        issuer=ISSUER, options={"verify_exp": False, "verify_iat": False})
    assert claims["nonce"] == "n-1" and claims["preferred_username"] == account
    assert claims["unit"] == UNIT_A and claims["sid"].startswith("s-")
    info = browser.request("GET", f"{ISSUER}/userinfo",
                           headers={"authorization": f"Bearer {body['access_token']}"})
    assert info.status == 200 and info.json()["sub"] == claims["sub"]

    # Refresh rotates; the old refresh token, used again, revokes the whole family.
    again = token_request(browser, {"grant_type": "refresh_token",
                                    "refresh_token": body["refresh_token"]},
                          (client_id, client_secret))
    assert again.status == 200, again.text
    rotated = again.json()
    assert rotated["refresh_token"] != body["refresh_token"]
    replay = token_request(browser, {"grant_type": "refresh_token",
                                     "refresh_token": body["refresh_token"]},
                           (client_id, client_secret))
    assert replay.status == 400 and replay.json()["error"] == "invalid_grant"
    after = token_request(browser, {"grant_type": "refresh_token",
                                    "refresh_token": rotated["refresh_token"]},
                          (client_id, client_secret))
    assert after.status == 400
    info = browser.request("GET", f"{ISSUER}/userinfo",
                           headers={"authorization": f"Bearer {rotated['access_token']}"})
    assert info.status == 401


def test_a_reused_code_is_refused_and_revokes_its_tokens(sso: tuple[World, RecordingPoster]
                                                        ) -> None:
    hub, _ = sso
    account, secret = make_person(hub.deps, UNIT_A, "nva", ["member"])
    client_id, client_secret = make_client(hub.deps, UNIT_A, "App A", [APP_A])
    browser = Browser(hub.client)
    verifier, challenge = pkce()
    done = login(browser, authorize_url(client_id, APP_A, challenge), account,
                 "mật-khẩu-đủ-dài-1", secret, hub)
    form = {"grant_type": "authorization_code", "code": code_of(done.location)["code"],
            "redirect_uri": APP_A, "code_verifier": verifier}
    first = token_request(browser, form, (client_id, client_secret))
    assert first.status == 200
    second = token_request(browser, form, (client_id, client_secret))
    assert second.status == 400 and second.json()["error"] == "invalid_grant"
    info = browser.request("GET", f"{ISSUER}/userinfo", headers={
        "authorization": f"Bearer {first.json()['access_token']}"})
    assert info.status == 401 and info.json()["error"] == "invalid_token"


def test_single_sign_on_and_back_channel_logout(sso: tuple[World, RecordingPoster]) -> None:
    hub, poster = sso
    account, secret = make_person(hub.deps, UNIT_A, "nva", ["member"])
    app_b = "https://app-b.example.gov.vn/callback"
    a, _ = make_client(hub.deps, UNIT_A, "A", [APP_A],
                       post_logout_redirect_uris=["https://app-a.example.gov.vn/"],
                       backchannel_logout_uri=
                       "https://app-a.example.gov.vn/bcl")
    b, _ = make_client(hub.deps, UNIT_A, "B", [app_b],
                       post_logout_redirect_uris=["https://app-b.example.gov.vn/"],
                       backchannel_logout_uri=
                       "https://app-b.example.gov.vn/bcl")
    browser = Browser(hub.client)
    _, challenge = pkce()
    login(browser, authorize_url(a, APP_A, challenge), account, "mật-khẩu-đủ-dài-1", secret,
          hub)
    # App B: no login page at all, a code at once.
    at_b = browser.get(authorize_url(b, app_b, challenge))
    assert at_b.status == 302 and at_b.location.startswith(app_b)
    assert "code" in code_of(at_b.location)
    out = browser.get(f"{ISSUER}/logout?client_id={b}&post_logout_redirect_uri="
                      "https://app-b.example.gov.vn/&state=bye")
    assert out.status == 302 and out.location == "https://app-b.example.gov.vn/?state=bye"
    told = sorted(url for url, _ in poster.sent)
    assert told == ["https://app-a.example.gov.vn/bcl", "https://app-b.example.gov.vn/bcl"]
    token = poster.sent[0][1]["logout_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    assert "nonce" not in claims and claims["sid"].startswith("s-")
    # The session is gone: app A now sends the person to the login page.
    back = browser.get(authorize_url(a, APP_A, challenge))
    assert back.status == 302 and "/sso/login" in back.location


@pytest.mark.parametrize("case", ["foreign_redirect", "no_pkce", "plain_pkce"])
def test_bad_authorization_requests_are_refused(sso: tuple[World, RecordingPoster],
                                                case: str) -> None:
    hub, _ = sso
    client_id, _ = make_client(hub.deps, UNIT_A, "App A", [APP_A])
    browser = Browser(hub.client)
    _, challenge = pkce()
    if case == "foreign_redirect":
        answer = browser.get(authorize_url(client_id, "https://evil.example/cb", challenge))
        assert answer.status == 400 and "evil.example" not in answer.location
        assert re.search(r"redirect", answer.text)
    elif case == "no_pkce":
        answer = browser.get(authorize_url(client_id, APP_A, None))
        assert answer.status == 302 and code_of(answer.location)["error"] == "invalid_request"
    else:
        answer = browser.get(authorize_url(client_id, APP_A, "x" * 43) .replace(
            "S256", "plain"))
        assert answer.status == 302 and code_of(answer.location)["error"] == "invalid_request"


def test_a_wrong_password_says_nothing_about_the_account(sso: tuple[World, RecordingPoster]
                                                        ) -> None:
    hub, _ = sso
    account, _ = make_person(hub.deps, UNIT_A, "nva", ["member"], totp=False)
    browser = Browser(hub.client)
    page = browser.get(f"{ISSUER.removesuffix('/sso')}/sso/login")
    wrong = browser.submit(page, {"account": account, "password": "sai-mật-khẩu-123"})
    nobody = browser.submit(page, {"account": "ai@" + UNIT_A, "password": "sai-mật-khẩu-123"})
    assert wrong.status == nobody.status == 401
    message = re.search(r'id="error"[^>]*>([^<]*)<', wrong.text)
    assert message and message.group(1) in nobody.text
    for _ in range(4):
        browser.submit(page, {"account": account, "password": "sai-mật-khẩu-123"})
    locked = browser.submit(page, {"account": account, "password": "mật-khẩu-đủ-dài-1"})
    assert locked.status == 429  # even the right password, while locked


def test_a_forged_id_token_hint_signs_nobody_out(sso: tuple[World, RecordingPoster]) -> None:
    """A logout with a hint whose signature does not verify is refused with a page: no
    redirect, and the person's session goes on."""
    import base64
    import json

    hub, poster = sso
    account, secret = make_person(hub.deps, UNIT_A, "nva", ["member"])
    client_id, client_secret = make_client(
        hub.deps, UNIT_A, "App A", [APP_A], post_logout_redirect_uris=[APP_A],
        backchannel_logout_uri="https://app-a.example.gov.vn/bcl")
    browser = Browser(hub.client)
    verifier, challenge = pkce()
    done = login(browser, authorize_url(client_id, APP_A, challenge), account,
                 "mật-khẩu-đủ-dài-1", secret, hub)
    tokens = token_request(browser, {"grant_type": "authorization_code",
                                     "code": code_of(done.location)["code"],
                                     "redirect_uri": APP_A, "code_verifier": verifier},
                           (client_id, client_secret)).json()
    header, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "p-x"}).encode())
    forged = f"{header}.{forged_payload.decode().rstrip('=')}.{signature}"
    out = browser.get(f"{ISSUER}/logout?id_token_hint={forged}&post_logout_redirect_uri="
                      f"{APP_A}")
    assert out.status == 400 and "location" not in out.headers
    assert poster.sent == []
    again = browser.get(authorize_url(client_id, APP_A, challenge))
    assert again.status == 302 and again.location.startswith(APP_A)  # still signed in


def test_the_pages_forbid_framing_and_scripts_and_their_forms_need_the_csrf_token(
        sso: tuple[World, RecordingPoster]) -> None:
    hub, _ = sso
    account, _ = make_person(hub.deps, UNIT_A, "nva", ["member"], totp=False)
    browser = Browser(hub.client)
    page = browser.get(f"{ISSUER}/login")
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    assert "<script" not in page.text
    cookie = headers["set-cookie"]
    cookie = cookie if isinstance(cookie, str) else cookie[0]
    assert cookie.startswith("lgsp_csrf=")
    assert {"Secure", "HttpOnly", "SameSite=Strict"} <= {p.strip() for p in cookie.split(";")}
    refused = browser.post(f"{ISSUER}/login", {"account": account,
                                               "password": "mật-khẩu-đủ-dài-1"})
    assert refused.status == 400 and "lgsp_sso" not in browser.cookies  # no token, no login
    forged = browser.post(f"{ISSUER}/login", {"account": account, "csrf": "0" * 64,
                                              "password": "mật-khẩu-đủ-dài-1"})
    assert forged.status == 400 and "lgsp_sso" not in browser.cookies
    done = browser.submit(page, {"account": account, "password": "mật-khẩu-đủ-dài-1"})
    assert done.status == 303 and "lgsp_sso" in browser.cookies
    session_cookie = [c for c in (done.headers["set-cookie"] if isinstance(
        done.headers["set-cookie"], list) else [done.headers["set-cookie"]])
        if c.startswith("lgsp_sso=")][0]
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/sso"} <= {
        p.strip() for p in session_cookie.split(";")}


def test_a_signed_in_person_changes_their_password(sso: tuple[World, RecordingPoster]
                                                   ) -> None:
    hub, _ = sso
    account, _ = make_person(hub.deps, UNIT_A, "nva", ["member"], totp=False)
    browser = Browser(hub.client)
    assert "/sso/login" in browser.get(f"{ISSUER}/password").location  # signed in first
    page = browser.get(f"{ISSUER}/login")
    browser.follow(browser.submit(page, {"account": account,
                                         "password": "mật-khẩu-đủ-dài-1"}))
    form = browser.get(f"{ISSUER}/password")
    assert 'id="change-password-form"' in form.text
    wrong = browser.submit(form, {"current_password": "không phải", "new_password":
                                  "Hoa sen nở tháng Sáu", "new_password_again":
                                  "Hoa sen nở tháng Sáu"})
    assert wrong.status == 401
    weak = browser.submit(form, {"current_password": "mật-khẩu-đủ-dài-1",
                                 "new_password": "ngắn", "new_password_again": "ngắn"})
    assert weak.status == 400
    done = browser.submit(form, {"current_password": "mật-khẩu-đủ-dài-1", "new_password":
                                 "Hoa sen nở tháng Sáu", "new_password_again":
                                 "Hoa sen nở tháng Sáu"})
    assert done.status == 200 and 'id="message"' in done.text
    other = Browser(hub.client)
    login_page = other.get(f"{ISSUER}/login")
    assert other.submit(login_page, {"account": account, "password": "mật-khẩu-đủ-dài-1"}
                        ).status == 401
    assert other.submit(login_page, {"account": account, "password": "Hoa sen nở tháng Sáu"}
                        ).status == 303
