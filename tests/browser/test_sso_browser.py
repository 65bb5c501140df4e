"""The province's single sign-on in a real headless Chromium, against the real hub over
HTTP (R-COMP-6, R-SSO-1): a unit admin sets their password from the one-time link, signs
in to app A with password and TOTP, is signed in to app B without typing anything, signs
out of B and is signed out of A too (back-channel logout). Then the refusals: a wrong
password, a foreign redirect_uri, a reused code, a missing PKCE verifier, a forged
id_token. The apps are the example relying party (client/examples/sso_app.py), built on
requests-oauthlib and PyJWT, not on the provider's library."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from chalicelib.adapters import credentials
from infra.local.demo import DEMO_UNITS
from infra.local.launcher import LocalHub
from tests.support.browser import AppAddress, example_app, free_port, new_app_address

UNIT = DEMO_UNITS[0][0]
PASSWORD = "Hoa sen nở tháng Sáu 2026!"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"  # to look at
LETTER = {"letter_number": "88/STC-CNTT", "letter_date": "2026-11-20",
          "applicant": {"name": "Nguyễn Văn Hùng", "position": "Chuyên viên CNTT",
                        "email": "hung@stc.example.gov.vn", "phone": "0204 3856 123"}}


def register(operator: Any, name: str, address: AppAddress) -> tuple[str, str]:
    """Form 08 filed for the unit and approved: the app's client id and secret."""
    filed = operator.file_request("sso_register_app", {
        **LETTER, "system_name": name, "developer": "Trung tâm CNTT",
        "purpose": "Đăng nhập một lần cho cán bộ",
        "redirect_uris": [address.redirect_uri],
        "post_logout_redirect_uris": [address.post_logout_redirect_uri],
        "backchannel_logout_uri": address.backchannel_logout_uri}, unit=UNIT)
    assert filed["state"] == "submitted", filed
    approved = operator.decide_request(filed["id"], "approve", {})
    return approved["sso"]["client_id"], approved["sso"]["client_secret"]


@pytest.fixture(scope="module")
def person(hub: LocalHub, operator: Any) -> dict[str, str]:
    made = operator.call("POST", f"/v1/admin/units/{UNIT}/people", body={
        "username": "lan", "name": "Trần Thị Lan", "roles": ["unit_admin"]}, retry=False)
    return {"account": made["person"]["account"], "link": made["link"],
            "typed": f"lan@{UNIT}"}


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def code_in(secret: str, ahead: int = 0) -> str:
    import time
    return credentials.totp_now(secret, int(time.time()) + ahead)


def test_sign_in_once_sign_out_everywhere(hub: LocalHub, operator: Any,
                                          person: dict[str, str], page: Page,
                                          new_browser_context: Callable[[], BrowserContext]
                                          ) -> None:
    discovery = f"{hub.url}/sso/.well-known/openid-configuration"
    address_a, address_b = new_app_address(), new_app_address()
    client_a, secret_a = register(operator, "Quản lý văn bản", address_a)
    client_b, secret_b = register(operator, "Một cửa điện tử", address_b)

    page.goto(person["link"])
    shoot(page, "sso-set-password")
    page.fill("#new_password", PASSWORD)
    page.fill("#new_password_again", PASSWORD)
    page.click("#password-form button[type=submit]")
    expect(page.locator("#message")).to_be_visible()

    with example_app(address_a, discovery, client_a, secret_a, "Quản lý văn bản"), \
            example_app(address_b, discovery, client_b, secret_b, "Một cửa điện tử"):
        page.goto(address_a.base + "/")
        page.click("#login")
        expect(page.locator("#login-form")).to_be_visible()
        shoot(page, "sso-login")
        page.fill("#account", person["typed"])
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#otp-setup-form")).to_be_visible()  # admins must enrol TOTP
        shoot(page, "sso-otp-setup")
        secret = page.locator("#otp-secret").inner_text()
        page.fill("#otp", code_in(secret))
        page.click("#otp-setup-form button[type=submit]")
        expect(page.locator("#status")).to_contain_text(f"({person['account']})")
        shoot(page, "sso-app-a-signed-in")
        page.click("#refresh")  # the app's refresh token, rotated by the hub
        expect(page.locator("#notice")).to_have_text("Tokens refreshed.")

        seen: list[str] = []
        page.on("framenavigated", lambda frame: seen.append(frame.url))
        page.goto(address_b.base + "/")
        page.click("#login")
        expect(page.locator("#status")).to_contain_text("Signed in as Trần Thị Lan")
        assert not [url for url in seen if "/sso/login" in url]  # nothing typed for B

        page.click("#logout")  # out of B ...
        expect(page.locator("#status")).to_have_text("Not signed in")
        page.goto(address_a.base + "/")  # ... and out of A, told by the hub
        expect(page.locator("#status")).to_have_text("Not signed in")

        # A wrong password in another browser: refused, nothing said about the account.
        other = new_browser_context().new_page()
        other.goto(address_a.base + "/")
        other.click("#login")
        other.fill("#account", person["typed"])
        other.fill("#password", "không phải mật khẩu")
        with other.expect_response(lambda r: r.request.method == "POST") as answer:
            other.click("#login-form button[type=submit]")
        assert answer.value.status == 401
        expect(other.locator("#error")).to_be_visible()
        shoot(other, "sso-wrong-password")
    person["totp"] = secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(hub: LocalHub, client_id: str, redirect_uri: str, challenge: str) -> str:
    return f"{hub.url}/sso/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": "openid profile unit", "state": "s1", "nonce": "n1",
        "code_challenge": challenge, "code_challenge_method": "S256"})


def test_what_the_provider_refuses(hub: LocalHub, operator: Any, person: dict[str, str],
                                   page: Page) -> None:
    assert "totp" in person, "runs after the sign-in test (same module, in order)"
    address = AppAddress(free_port())
    client_id, client_secret = register(operator, "Ứng dụng kiểm thử", address)
    token_url, auth = f"{hub.url}/sso/token", (client_id, client_secret)
    codes: list[str] = []
    catcher = catch_codes(address, codes)

    # A foreign redirect_uri: an error page at the hub, no redirect anywhere.
    verifier, challenge = pkce()
    page.goto(authorize(hub, client_id, "https://evil.example/cb", challenge))
    assert page.url.startswith(f"{hub.url}/sso/authorize")
    expect(page.locator("h1")).to_have_text("Không thể tiếp tục")
    shoot(page, "sso-foreign-redirect")

    page.goto(authorize(hub, client_id, address.redirect_uri, challenge))
    page.fill("#account", person["typed"])
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("#otp", code_in(person["totp"], ahead=30))  # the enrolment used this step's
    page.click("#otp-form button[type=submit]")
    page.wait_for_function("() => document.body.innerText === 'ok'")
    form = {"grant_type": "authorization_code", "code": codes[-1],
            "redirect_uri": address.redirect_uri, "code_verifier": verifier}
    first = requests.post(token_url, data=form, auth=auth, timeout=10)
    assert first.status_code == 200, first.text
    tokens = first.json()
    # The same code again: refused, and what it gave is revoked.
    again = requests.post(token_url, data=form, auth=auth, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = requests.get(f"{hub.url}/sso/userinfo", timeout=10,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401

    # No PKCE verifier: refused (single sign-on gives the code without a login page).
    _, challenge = pkce()
    page.goto(authorize(hub, client_id, address.redirect_uri, challenge))
    page.wait_for_function("() => document.body.innerText === 'ok'")
    missing = requests.post(token_url, auth=auth, timeout=10, data={
        "grant_type": "authorization_code", "code": codes[-1],
        "redirect_uri": address.redirect_uri})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"

    # A forged id_token: a genuine one with another person's `sub`, signature kept.
    header, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "p-someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    forged = f"{header}.{forged_payload.decode()}.{signature}"
    keys = requests.get(f"{hub.url}/sso/jwks", timeout=10).json()["keys"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience=client_id)
    page.goto(f"{hub.url}/sso/logout?" + urllib.parse.urlencode({
        "id_token_hint": forged, "post_logout_redirect_uri": address.post_logout_redirect_uri}))
    assert page.url.startswith(f"{hub.url}/sso/logout")  # no redirect on a forged hint
    expect(page.locator("#detail")).to_contain_text("invalid_request")
    catcher.shutdown()


def catch_codes(address: AppAddress, codes: list[str]) -> Any:
    """A bare app at `address` that keeps the codes the browser brings it."""
    import http.server
    import threading

    class Catch(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            if "code" in query:  # not the browser's /favicon.ico
                codes.append(query["code"])
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", address.port), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_cli_signs_in_as_a_person_and_acts_as_them(
        hub: LocalHub, operator: Any, page: Page, tmp_path: Path) -> None:
    """`lgsp login` (device flow) confirmed in the browser, then `lgsp --as-person`: the
    request it files names the person, over real HTTP."""
    import re
    import subprocess
    import sys

    from infra.local.launcher import ROOT
    made = operator.call("POST", f"/v1/admin/units/{UNIT}/people", body={
        "username": "minh", "name": "Lê Văn Minh", "roles": ["unit_admin"]}, retry=False)
    page.goto(made["link"])
    page.fill("#new_password", PASSWORD)
    page.fill("#new_password_again", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.goto(f"{hub.url}/sso/login")
    page.fill("#account", f"minh@{UNIT}")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("#otp", code_in(page.locator("#otp-secret").inner_text()))
    page.click("#otp-setup-form button[type=submit]")
    expect(page.locator("#signed-in-as")).to_have_text(made["person"]["account"])

    env = {**hub.env, "HOME": str(tmp_path), "LGSP_SSO_DIR": str(tmp_path / "sso"),
           "LGSP_ENDPOINT": hub.url, "PYTHONPATH": f"{ROOT}:{ROOT / 'client'}"}
    env.pop("DISPLAY", None)
    lgsp = [sys.executable, "-m", "lgsp_client"]
    login = subprocess.Popen([*lgsp, "login", "--no-browser", "--endpoint", hub.url],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert login.stderr is not None
    import threading
    guard = threading.Timer(120, login.kill)  # a CLI that hangs fails the test, not CI
    guard.start()
    said = ""
    while "code:" not in said:
        line = login.stderr.readline()
        assert line, f"lgsp login ended early: {said}"
        said += line
    where = re.search(r"(http\S+/sso/device/verify)", said)
    code = re.search(r"code:\s+([A-Z]{4}-[A-Z]{4})", said)
    assert where and code, said
    page.goto(where.group(1))  # the person types the code the terminal shows
    page.fill("#user_code", code.group(1))
    shoot(page, "sso-device-confirm")
    page.click("#approve")
    expect(page.locator("#message")).to_be_visible()
    out, err = login.communicate(timeout=60)
    guard.cancel()
    assert login.returncode == 0, said + err

    filed = subprocess.run(
        [*lgsp, "--as-person", "admin", "requests", "file", "--endpoint", hub.url,
         "--kind", "cancel_app", "--set", "reason=Ứng dụng ngừng hoạt động"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert filed.returncode == 0, filed.stderr
    seen = operator.get_request(filed.stdout.split()[0])  # "<id> <state>"
    assert seen["unit"] == UNIT
    assert seen["history"][0]["person"] == made["person"]["account"]
