"""Single sign-on in tests: people, clients, and a cookie-keeping browser stand-in for
chalice's test client (forms with their CSRF token, redirects within the hub)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from chalice.test import Client

from chalicelib.adapters import credentials
from chalicelib.domain import keys, people as people_rules
from chalicelib.services import oidc_clients, people
from chalicelib.services.deps import Deps

PASSWORD = "mật-khẩu-đủ-dài-1"
HOST = "lgsp.test"
BASE = f"https://{HOST}"  # the hub behind TLS (x-forwarded-proto)
ISSUER = f"{BASE}/sso"


def make_person(deps: Deps, unit: str, username: str, roles: list[str] | None = None, *,
                password: str = PASSWORD, totp: bool = True,
                name: str = "Nguyễn Văn An") -> tuple[str, str | None]:
    """A person with a password set (and an enrolled TOTP when `totp`): account, secret."""
    account = people_rules.account(username, unit, deps.settings.province_domain)
    secret = credentials.new_totp_secret() if totp else None
    pk, sk = keys.person(account)
    item = {"pk": pk, "sk": sk, "kind": "person", "account": account, "username": username,
            "unit": unit, "sub": "p-" + deps.ids.new_id(), "name": name,
            "email": f"{username}@example.gov.vn", "roles": roles or ["member"],
            "status": "active", "password_set": True, "second_factor": totp,
            "password_hash": credentials.hash_password(password),
            "created_at": deps.clock.now(), "created_by": "test", "version": 1}
    if secret:
        item["totp_sealed"] = deps.sealer.seal(secret.encode(), f"totp:{account}")
    deps.table.put(item)
    deps.table.put(people.link_of(item))
    return account, secret


def make_client(deps: Deps, unit: str, name: str, redirect_uris: list[str], *,
                post_logout_redirect_uris: list[str] | None = None,
                backchannel_logout_uri: str | None = None, public: bool = False,
                jwks: dict[str, Any] | None = None) -> tuple[str, str | None]:
    fields: dict[str, Any] = {
        "system_name": name, "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris or [],
        "backchannel_logout_uri": backchannel_logout_uri,
        "client_type": "public" if public else "confidential"}
    if jwks:
        fields |= {"token_auth": "private_key_jwt", "jwks": jwks}
    new = oidc_clients.new_client(deps, unit, fields, request_id="test")
    deps.table.transact(new.ops)
    return new.item["client_id"], new.secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()
                                         ).rstrip(b"=").decode()
    return verifier, challenge


def otp(secret: str, deps: Deps, offset: int = 0) -> str:
    return credentials.totp_now(secret, deps.clock.now() + offset)


@dataclass
class Answer:
    status: int
    headers: dict[str, Any]
    text: str
    raw: bytes = b""  # the body as sent (a file)

    @property
    def location(self) -> str:
        return str(self.headers.get("location", ""))

    def json(self) -> Any:
        return json.loads(self.text)

    def hidden(self, name: str = "csrf") -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.text)
        assert found, f"no {name} field in the page"
        return found.group(1)


@dataclass
class Browser:
    """Keeps cookies like a browser; `follow` goes through the hub's own redirects."""

    client: Client
    cookies: dict[str, str] = field(default_factory=dict)

    def _path(self, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, url: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
        hdrs = {"host": HOST, "x-forwarded-proto": "https", **(headers or {})}
        if self.cookies:
            hdrs["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs["content-type"] = "application/x-www-form-urlencoded"
        res = self.client.http.request(method, self._path(url), headers=hdrs, body=body)
        answer = Answer(res.status_code, {k.lower(): v for k, v in res.headers.items()},
                        res.body.decode("utf-8", "replace") if res.body else "",
                        res.body or b"")
        set_cookie = answer.headers.get("set-cookie") or []
        for line in [set_cookie] if isinstance(set_cookie, str) else set_cookie:
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def get(self, url: str) -> Answer:
        return self.request("GET", url)

    def post_files(self, url: str, fields: dict[str, str],
                   files: dict[str, tuple[str, bytes]]) -> Answer:
        """A `multipart/form-data` POST, as a browser sends a form with a file input."""
        boundary = "----lgsp" + secrets.token_hex(8)
        chunks: list[bytes] = []
        for name, value in fields.items():
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                          f"\r\n\r\n{value}\r\n".encode())
        for name, (file_name, data) in files.items():
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                          f'filename="{file_name}"\r\nContent-Type: '
                          "application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", url, headers={
            "content-type": f"multipart/form-data; boundary={boundary}"}, body=b"".join(chunks))

    def post(self, url: str, form: dict[str, str]) -> Answer:
        return self.request("POST", url, form)

    def follow(self, answer: Answer, *, stop_at: str = ISSUER) -> Answer:
        """Follow redirects while they stay on the hub's SSO."""
        while answer.status in (302, 303) and answer.location.startswith(stop_at):
            answer = self.get(answer.location)
        return answer

    def submit(self, page: Answer, action_fields: dict[str, str]) -> Answer:
        """Post the page's form (its action and CSRF token) with `action_fields`."""
        action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
        assert action, "no form on the page"
        url = action.group(1).replace("&amp;", "&")
        return self.post(url, {"csrf": page.hidden(), **action_fields})


def authorize_url(client_id: str, redirect_uri: str, challenge: str | None, *,
                  scope: str = "openid profile email unit offline_access", state: str = "st",
                  nonce: str = "n-1", **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": scope, "state": state, "nonce": nonce, **extra}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{ISSUER}/authorize?" + urllib.parse.urlencode(params)


def code_of(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


class RecordingPoster:
    """Catches the hub's back-channel logout POSTs."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def post_form(self, url: str, fields: Any, *, timeout: float) -> int:
        self.sent.append((url, dict(fields)))
        return 200
