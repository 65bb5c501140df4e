"""Calling the reports in tests: signed GETs with the query as signing clients send it,
exports accepting their media type, and a person's `lgsp:admin` access token as
`lgsp login` gets it (device flow, password and TOTP) for `Authorization: Bearer`."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from chalicelib.api.exports import XLSX_TYPE
from tests.support.hub import HOST, Reply, SignedClient, World
from tests.support.signing import sign
from tests.support.sso import ISSUER, PASSWORD, Browser, make_person, otp

CLI_SCOPE = "openid profile unit offline_access lgsp:admin"


def canonical(path: str) -> str:
    """The path with its query sorted, as signing clients send it (`docs/auth.md`)."""
    base, _, query = path.partition("?")
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    return base + ("?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
                   if pairs else "")


def get(client: SignedClient, path: str) -> Reply:
    return client.get(canonical(path))


def download(client: SignedClient, path: str) -> tuple[int, dict[str, str], bytes]:
    """A signed GET of an export, accepting its media type (API Gateway answers a file
    as bytes only to a request that accepts it)."""
    path = canonical(path)
    accept = XLSX_TYPE if path.split("?")[0].endswith("/xlsx") else "text/csv"
    headers = sign("GET", f"http://{HOST}{path}", key_id=client.creds.access_key,
                   secret=client.creds.secret_key, body=b"", created=client.deps.clock.now(),
                   nonce="", headers={"host": HOST, "accept": accept},
                   components=("@method", "@target-uri"))
    res = client.http.request("GET", path, headers=headers, body=b"")
    return res.status_code, {k.lower(): v for k, v in res.headers.items()}, res.body


def person_token(hub: World, unit: str, username: str, roles: list[str]) -> str:
    """A person of `unit` signs the CLI in: their access token (the hub's public URL must
    be `https://lgsp.test`, the tests' host)."""
    account, secret = make_person(hub.deps, unit, username, roles)
    assert secret is not None
    browser = Browser(hub.client)
    device = browser.request("POST", f"{ISSUER}/device",
                             {"client_id": "lgsp-cli", "scope": CLI_SCOPE}).json()
    login = browser.follow(browser.get(device["verification_uri_complete"]))
    assert 'id="login-form"' in login.text, login.text
    second = browser.follow(browser.submit(login, {"account": account, "password": PASSWORD}))
    assert 'id="otp-form"' in second.text, second.text
    confirm = browser.follow(browser.submit(second, {"otp": otp(secret, hub.deps)}))
    assert 'id="device-form"' in confirm.text, confirm.text
    decided = browser.submit(confirm, {"user_code": device["user_code"],
                                       "decision": "approve"})
    assert decided.status == 200, decided.text
    tokens = browser.request("POST", f"{ISSUER}/token", {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device["device_code"], "client_id": "lgsp-cli"})
    assert tokens.status == 200, tokens.text
    return str(tokens.json()["access_token"])


def bearer_get(hub: World, path: str, token: str) -> tuple[int, Any]:
    res = hub.client.http.request("GET", path, headers={
        "host": HOST, "x-forwarded-proto": "https", "authorization": f"Bearer {token}"},
        body=b"")
    return res.status_code, json.loads(res.body) if res.body else None
