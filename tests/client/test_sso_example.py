"""The example relying party (client/examples/sso_app.py) against a fake provider: the code
flow with PKCE, the id_token checks, RP-initiated and back-channel logout, refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.support.browser import AppAddress, example_app, new_app_address
from tests.support.fake_op import FakeOp, other_key, post_logout_token, serve_fake_op

CLIENT_ID = "app-a"
SECRET = "s3cret/with+odd=chars"  # sent form-encoded in Basic (RFC 6749 2.3.1)
SIGNED_IN = "Signed in as Nguyễn Văn A (nva@000.00.12.H40@bacgiang.gov.vn), unit 000.00.12.H40"


@dataclass
class Setup:
    op: FakeOp
    app: Any
    address: AppAddress

    def url(self, path: str) -> str:
        return f"{self.address.base}{path}"

    def signed_in_browser(self) -> requests.Session:
        browser = requests.Session()
        page = browser.get(self.url("/login"), timeout=10)
        assert page.status_code == 200, page.text
        assert SIGNED_IN in page.text
        return browser

    def status(self, browser: requests.Session) -> str:
        page = browser.get(self.url("/"), timeout=10)
        assert page.status_code == 200
        return "signed in" if SIGNED_IN in page.text else (
            "not signed in" if "Not signed in" in page.text else page.text)

    def callback_url(self, browser: requests.Session) -> str:
        """Start a sign-in and let the provider approve it; the callback is not yet opened."""
        login = browser.get(self.url("/login"), allow_redirects=False, timeout=10)
        assert login.status_code == 303
        approved = browser.get(login.headers["Location"], allow_redirects=False, timeout=10)
        assert approved.status_code == 302
        return str(approved.headers["Location"])


@pytest.fixture
def setup() -> Iterator[Setup]:
    with serve_fake_op({CLIENT_ID: SECRET, "public-app": None}) as op:
        address = new_app_address()
        with example_app(address, op.discovery_url, CLIENT_ID, SECRET, "App A") as app:
            yield Setup(op, app, address)


def test_sign_in_uses_pkce_s256_state_nonce_and_basic_auth(setup: Setup) -> None:
    setup.signed_in_browser()
    asked = setup.op.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] and asked["nonce"] and asked["redirect_uri"] == setup.url("/callback")
    assert set(asked["scope"].split()) >= {"openid", "profile", "unit", "offline_access"}
    exchange = setup.op.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert "client_secret" not in exchange  # client_secret_basic, checked by the provider


def test_session_cookie_is_httponly_and_lax(setup: Setup) -> None:
    login = requests.get(setup.url("/login"), allow_redirects=False, timeout=10)
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


def test_public_client_signs_in_with_its_id_only() -> None:
    with serve_fake_op({"public-app": None}) as op:
        address = new_app_address()
        with example_app(address, op.discovery_url, "public-app", None, "Public"):
            page = requests.get(f"{address.base}/login", timeout=10)
    assert SIGNED_IN in page.text
    assert op.token_requests[-1]["client_id"] == "public-app"


def test_callback_with_a_wrong_state_is_refused_before_any_exchange(setup: Setup) -> None:
    browser = requests.Session()
    callback = setup.callback_url(browser)
    query = parse_qs(urlsplit(callback).query)
    forged = f"{setup.url('/callback')}?" + urlencode({"code": query["code"][0],
                                                       "state": "forged"})
    page = browser.get(forged, timeout=10)
    assert page.status_code == 400
    assert 'id="error"' in page.text and "state_mismatch" in page.text
    assert setup.op.token_requests == []  # the code was never redeemed
    assert setup.status(browser) == "not signed in"


def test_callback_in_a_browser_that_never_started_the_sign_in_is_refused(setup: Setup) -> None:
    callback = setup.callback_url(requests.Session())
    page = requests.get(callback, timeout=10)  # another browser: no cookie
    assert page.status_code == 400 and "state_mismatch" in page.text


@pytest.mark.parametrize(("knob", "value"), [
    ("key", "other"),
    ("claims", {"aud": "another-app"}),
    ("claims", {"nonce": "not-the-one-sent"}),
    ("claims", {"iss": "http://127.0.0.1:1/sso"}),
    ("claims", {"exp": int(time.time()) - 3600}),
    ("claims", {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}),
    ("claims", {"nonce": None}),
], ids=["signature", "aud", "nonce", "iss", "expired", "at_hash", "no-nonce"])
def test_a_bad_id_token_is_refused(setup: Setup, knob: str, value: Any) -> None:
    if knob == "key":
        setup.op.id_token_key = other_key()
    else:
        setup.op.id_token_claims = value
    browser = requests.Session()
    page = browser.get(setup.url("/login"), timeout=10)
    assert page.status_code == 400
    assert 'id="error"' in page.text and "token_invalid" in page.text
    assert setup.status(browser) == "not signed in"


def test_backchannel_logout_ends_only_the_session_named_by_sid(setup: Setup) -> None:
    first = setup.signed_in_browser()
    first_sid = setup.op.sids[-1]
    second = setup.signed_in_browser()
    answer = post_logout_token(setup.address.base, setup.op.logout_token(CLIENT_ID,
                                                                         sid=first_sid))
    assert answer.status_code == 200
    assert setup.status(first) == "not signed in"
    assert setup.status(second) == "signed in"


def test_backchannel_logout_by_sub_alone_ends_every_session_of_that_person(setup: Setup) -> None:
    browsers = [setup.signed_in_browser(), setup.signed_in_browser()]
    token = setup.op.logout_token(CLIENT_ID, sid=None)
    assert post_logout_token(setup.address.base, token).status_code == 200
    assert [setup.status(b) for b in browsers] == ["not signed in", "not signed in"]


@pytest.mark.parametrize("bad", [
    {"nonce": "n-1"},
    {"key": "other"},
    {"aud": "another-app"},
    {"iss": "http://127.0.0.1:1/sso"},
    {"events": None},
    {"events": {"http://example.com/other-event": {}}},
    {"sid": None, "sub": None},
    {"iat": None},
    {"exp": int(time.time()) - 3600},
], ids=["nonce", "signature", "aud", "iss", "no-events", "other-event", "no-sid-no-sub",
        "no-iat", "expired"])
def test_a_bad_logout_token_is_refused_and_ends_nothing(setup: Setup, bad: dict[str, Any]
                                                         ) -> None:
    browser = setup.signed_in_browser()
    claims = dict(bad)
    key = other_key() if claims.pop("key", None) else None
    answer = post_logout_token(setup.address.base,
                               setup.op.logout_token(CLIENT_ID, key=key, **claims))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert setup.status(browser) == "signed in"


def test_a_backchannel_post_without_a_token_is_refused(setup: Setup) -> None:
    answer = requests.post(setup.url("/backchannel-logout"), data={"other": "x"}, timeout=10)
    assert answer.status_code == 400


def test_an_oversized_post_is_refused_unread(setup: Setup) -> None:
    answer = requests.post(setup.url("/backchannel-logout"), timeout=10,
                           data={"logout_token": "x" * (65 * 1024)})
    assert answer.status_code == 400 and answer.text == "bad Content-Length"


def test_logout_goes_to_the_provider_with_hint_and_state_and_comes_back(setup: Setup) -> None:
    browser = setup.signed_in_browser()
    leaving = browser.get(setup.url("/logout"), allow_redirects=False, timeout=10)
    assert leaving.status_code == 303
    target = urlsplit(leaving.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"http://{target.netloc}{target.path}" == f"{setup.op.issuer}/logout"
    assert query["post_logout_redirect_uri"] == setup.url("/") and query["state"]
    hint = jwt.decode(query["id_token_hint"], options={"verify_signature": False})
    assert hint["aud"] == CLIENT_ID and hint["sid"] == setup.op.sids[-1]
    back = browser.get(leaving.headers["Location"], timeout=10)
    assert "You have signed out." in back.text and "Not signed in" in back.text


def test_refresh_rotates_the_refresh_token_and_shows_the_expiry(setup: Setup) -> None:
    browser = setup.signed_in_browser()
    first = browser.post(setup.url("/refresh"), timeout=10)
    second = browser.post(setup.url("/refresh"), timeout=10)
    for page in (first, second):
        assert page.status_code == 200 and "Tokens refreshed." in page.text
        assert 'id="access-expiry">Access token expires at 20' in page.text
    used = [r["refresh_token"] for r in setup.op.token_requests
            if r["grant_type"] == "refresh_token"]
    assert len(used) == 2 and used[0] != used[1]  # the second used the rotated token


def test_a_refused_refresh_ends_the_local_session(setup: Setup) -> None:
    browser = setup.signed_in_browser()
    setup.op.refresh_tokens.clear()  # the hub revoked the family
    page = browser.post(setup.url("/refresh"), timeout=10)
    assert page.status_code == 401 and "refresh_failed: invalid_grant" in page.text
    assert setup.status(browser) == "not signed in"
