"""People's accounts end to end through the API (R-COMP-6, R-OPS-3): an operator creates a
unit admin, who sets a password through the one-time link, enrols TOTP at the first login,
signs the CLI in by the device flow, and acts with their own token; what they do names
them in the unit's history; they never reach another unit; disabling them ends it all."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import credentials
from chalicelib.services import registry
from tests.support.hub import UNIT_A, UNIT_B, SignedClient, World
from tests.support.sso import BASE, HOST, ISSUER, Browser, RecordingPoster

OPERATOR = "000.00.30.H99"
PASSWORD = "Một mật khẩu dài 2026"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": BASE}


@pytest.fixture
def operator(hub: World) -> Iterator[SignedClient]:
    hub.deps = dataclasses.replace(hub.deps, poster=RecordingPoster())
    bootstrap.install(hub.deps)
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    yield hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def bearer(hub: World, method: str, path: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"host": HOST, "x-forwarded-proto": "https",
               "authorization": f"Bearer {token}",
               **({"content-type": "application/json"} if data else {})}
    res = hub.client.http.request(method, path, headers=headers, body=data)
    return res.status_code, json.loads(res.body) if res.body else None


def set_password_and_enrol(hub: World, link: str, account: str) -> tuple[Browser, str]:
    """The person's first steps: the link, then the first login with TOTP enrolment."""
    browser = Browser(hub.client)
    page = browser.get(link)
    assert page.status == 200 and account in page.text
    done = browser.submit(page, {"new_password": PASSWORD, "new_password_again": PASSWORD})
    assert done.status == 200 and 'id="message"' in done.text
    again = browser.get(link)
    assert again.status == 404  # used once
    login = browser.get(f"{BASE}/sso/login")
    enrol = browser.follow(browser.submit(login, {"account": account, "password": PASSWORD}))
    assert 'id="otp-setup-form"' in enrol.text and "<svg" in enrol.text
    found = re.search(r'id="otp-secret">([A-Z2-7]+)<', enrol.text)
    assert found
    secret = found.group(1)
    code = credentials.totp_now(secret, hub.deps.clock.now())
    signed_in = browser.follow(browser.submit(enrol, {"otp": code}))
    assert signed_in.status == 200 and account in signed_in.text
    return browser, secret


def device_sign_in(hub: World, browser: Browser) -> dict[str, Any]:
    """`lgsp login`'s device flow, the person confirming in their signed-in browser."""
    start = browser.post(f"{ISSUER}/device", {
        "client_id": "lgsp-cli", "scope": "openid profile unit offline_access lgsp:admin"})
    assert start.status == 200, start.text
    grant = start.json()
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": grant["device_code"], "client_id": "lgsp-cli"}
    hub.deps.clock.advance(5)
    assert browser.post(f"{ISSUER}/token", poll).json()["error"] == "authorization_pending"
    assert browser.post(f"{ISSUER}/token", poll).json()["error"] == "slow_down"
    page = browser.get(grant["verification_uri_complete"])
    assert grant["user_code"] in page.text
    assert browser.submit(page, {"user_code": grant["user_code"], "decision": "approve"}
                          ).status == 200
    hub.deps.clock.advance(10)
    tokens = browser.post(f"{ISSUER}/token", poll)
    assert tokens.status == 200, tokens.text
    hub.deps.clock.advance(10)
    assert browser.post(f"{ISSUER}/token", poll).json()["error"] == "expired_token"  # once
    return dict(tokens.json())


def test_a_unit_admin_from_creation_to_acting_as_themselves(
        hub: World, operator: SignedClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # what the hub logs in production
    created = operator.post(f"/v1/admin/units/{UNIT_A}/people", {
        "username": "lan", "name": "Trần Thị Lan", "email": "lan@stc.example.gov.vn",
        "roles": ["unit_admin"]})
    assert created.status == 201, created.body
    account, link = created.body["person"]["account"], created.body["link"]
    assert account == f"lan@{UNIT_A}@lgsp.gov.vn" and link.startswith(f"{BASE}/sso/setup/")
    browser, secret = set_password_and_enrol(hub, link, account)
    tokens = device_sign_in(hub, browser)

    status, me = bearer(hub, "GET", "/v1/whoami", tokens["access_token"])
    assert status == 200 and me["person"] == account and me["roles"] == ["unit_admin"]
    status, member = bearer(hub, "POST", f"/v1/admin/units/{UNIT_A}/people",
                            tokens["access_token"], {"username": "minh", "name": "Lê Minh"})
    assert status == 201, member
    status, history = bearer(hub, "GET", f"/v1/admin/units/{UNIT_A}/history",
                             tokens["access_token"])
    assert status == 403  # the history is the operators'; they see who did it:
    lines = operator.get(f"/v1/admin/units/{UNIT_A}/history").body["items"]
    made = [line for line in lines if line["event"] == "person_created"
            and line["detail"]["account"].startswith("minh@")]
    assert made and made[0]["actor"] == account

    # Never another unit's people, nor an operator's powers.
    status, refused = bearer(hub, "POST", f"/v1/admin/units/{UNIT_B}/people",
                             tokens["access_token"], {"username": "x1", "name": "X"})
    assert status == 403 and refused["error"]["code"] == "forbidden"
    status, _ = bearer(hub, "POST", "/v1/admin/units", tokens["access_token"],
                       {"code": "000.00.09.H99", "name": "X"})
    assert status == 403
    # Message routes take no person's token at all.
    status, inbox = bearer(hub, "GET", "/v1/inbox", tokens["access_token"])
    assert status == 401

    # Disabled by the operator: the token stops at once, the SSO session too.
    off = operator.call("PATCH", f"/v1/admin/units/{UNIT_A}/people/lan",
                        {"status": "disabled"})
    assert off.status == 200 and off.body["status"] == "disabled"
    status, gone = bearer(hub, "GET", "/v1/whoami", tokens["access_token"])
    assert status == 401 and gone["error"]["code"] == "token_revoked"
    assert "signed-in-as" not in browser.get(f"{BASE}/sso").text

    logged = caplog.text
    for secret_value in (PASSWORD, secret, tokens["access_token"], tokens["refresh_token"],
                         link.rsplit("/", 1)[1]):
        assert secret_value not in logged


def test_a_member_cannot_manage_people(hub: World, operator: SignedClient) -> None:
    created = operator.post(f"/v1/admin/units/{UNIT_A}/people",
                            {"username": "binh", "name": "Phạm Bình"})
    assert created.status == 201 and created.body["person"]["roles"] == ["member"]
    browser = Browser(hub.client)
    page = browser.get(created.body["link"])
    browser.submit(page, {"new_password": PASSWORD, "new_password_again": PASSWORD})
    login = browser.get(f"{BASE}/sso/login")
    done = browser.follow(browser.submit(login, {"account": f"binh@{UNIT_A}",
                                                 "password": PASSWORD}))
    assert 'id="signed-in-as"' in done.text  # no second factor asked of a member
    tokens = device_sign_in(hub, browser)
    status, body = bearer(hub, "GET", f"/v1/admin/units/{UNIT_A}/people",
                          tokens["access_token"])
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_only_operators_make_operators_and_only_in_their_unit(
        hub: World, operator: SignedClient) -> None:
    admin_a = hub.as_(registry.create_app(hub.deps, UNIT_A, "admin", role="unit_admin"))
    reply = admin_a.post(f"/v1/admin/units/{UNIT_A}/people",
                         {"username": "boss", "name": "B", "roles": ["operator"]})
    assert reply.status == 400 and reply.body["error"]["code"] == "invalid_roles"
    reply = operator.post(f"/v1/admin/units/{OPERATOR}/people",
                          {"username": "ops", "name": "Ops", "roles": ["operator"]})
    assert reply.status == 201
    reply = admin_a.post(f"/v1/admin/units/{UNIT_B}/people", {"username": "x2", "name": "X"})
    assert reply.status == 403
    twice = operator.post(f"/v1/admin/units/{OPERATOR}/people",
                          {"username": "ops", "name": "Ops"})
    assert twice.status == 409 and twice.body["error"]["code"] == "person_exists"
