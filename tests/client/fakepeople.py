"""A unit's people and SSO apps (`/v1/admin/units/{code}/people|sso-apps`) on top of the
fake hub's authentication, for the CLI tests of `lgsp admin people|sso-apps ...` signed
as an app or sent as a person. Shapes follow the hub's PersonView, SetupLink, SsoApps and
SsoSecret; refusals use the hub's codes (403 forbidden, 404 unit_not_found,
person_not_found, sso_app_not_found, 409 person_exists, sso_app_has_no_secret)."""

from __future__ import annotations

import itertools
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.client.fakehub import FakeHub
from tests.client.server import Handler, Received, Reply

PROVINCE = "bacgiang.gov.vn"
_ROUTE = re.compile(r"^/v1/admin/units/(?P<unit>[^/]+)/(?P<area>people|sso-apps)"
                    r"(?:/(?P<name>[^/]+)(?:/(?P<action>reset|secret))?)?$")
_FIELDS = {("POST", None): {"username", "name", "email", "roles"},
           ("PATCH", None): {"name", "email", "roles", "status"},
           ("POST", "reset"): {"second_factor"}}


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json", "Cache-Control": "no-store"})


def _error(status: int, code: str, message: str = "refused") -> Reply:
    return _json(status, {"error": {"code": code, "message": message}})


def sso_app(client_id: str, unit: str, *, public: bool = False,
            status: str = "active") -> dict[str, Any]:
    return {"client_id": client_id, "unit": unit, "name": f"Ứng dụng {client_id}",
            "client_type": "public" if public else "confidential",
            "token_endpoint_auth_method": "none" if public else "client_secret_basic",
            "redirect_uris": [f"https://{client_id}.example.gov.vn/callback"],
            "post_logout_redirect_uris": [], "backchannel_logout_uri": None,
            "status": status}


@dataclass
class PeopleHub:
    """The people and SSO-app routes; anything else goes to `fallback` (else the fake)."""

    fake: FakeHub
    units: set[str]
    operators: set[str] = field(default_factory=set)  # their callers manage any unit
    fallback: Handler | None = None
    page_size: int = 50
    people: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    apps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, body
    refuse: list[tuple[int, str]] = field(default_factory=list)  # next answers, in order
    issued: list[str] = field(default_factory=list)  # every link and secret handed out
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __call__(self, r: Received) -> Reply:
        path, _, query = r.path.partition("?")
        route = _ROUTE.match(path)
        if route is None:
            return (self.fallback or self.fake)(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        body = json.loads(r.body) if r.body else None
        self.calls.append((r.method, r.path, body))
        if self.refuse:
            return _error(*self.refuse.pop(0))
        unit = route["unit"]
        if caller != unit and caller not in self.operators:
            return _error(403, "forbidden", f"{caller} does not manage {unit}")
        if unit not in self.units:
            return _error(404, "unit_not_found", f"no unit {unit}")
        allowed = _FIELDS.get((r.method, route["action"]))
        if allowed is not None and not set(body or {}) <= allowed:
            return _error(400, "invalid_request", f"unexpected fields {sorted(body or {})}")
        if route["area"] == "sso-apps":
            return self._apps(r.method, unit, route["name"])
        return self._people(r.method, route, body or {}, dict(urllib.parse.parse_qsl(query)))

    # -- people -------------------------------------------------------------------------

    def add(self, unit: str, username: str, name: str, **more: Any) -> dict[str, Any]:
        person = {"account": f"{username}@{unit}@{PROVINCE}", "username": username,
                  "unit": unit, "name": name, "email": None, "roles": ["member"],
                  "status": "active", "second_factor": False, "password_set": False,
                  "created_at": "2030-01-01T00:00:00Z", "created_by": "op", **more}
        self.people[(unit, username)] = person
        return person

    def _link(self, person: dict[str, Any]) -> Reply:
        link = f"{self.fake.url}/sso/setup/setup-token-{next(self._ids)}-once"
        self.issued.append(link)
        return _json(200, {"person": person, "link": link,
                           "expires_at": "2030-01-04T00:00:00Z"})

    def _people(self, method: str, route: re.Match[str], body: dict[str, Any],
                query: dict[str, str]) -> Reply:
        unit, username, action = route["unit"], route["name"], route["action"]
        if username is None and method == "GET":
            mine = sorted((p for (u, _), p in self.people.items() if u == unit),
                          key=lambda p: p["username"])
            start = int(query.get("cursor", "0"))
            size = min(int(query.get("limit", "50")), self.page_size)
            more = start + size < len(mine)
            return _json(200, {"items": mine[start:start + size],
                               "next_cursor": str(start + size) if more else None})
        if username is None:
            if (unit, body["username"]) in self.people:
                return _error(409, "person_exists", f"{body['username']} already exists")
            person = self.add(unit, body["username"], body["name"], email=body.get("email"),
                              roles=body.get("roles", ["member"]))
            reply = self._link(person)
            return Reply(201, reply.body, reply.headers)
        person = self.people.get((unit, username))
        if person is None:
            return _error(404, "person_not_found", f"Unit {unit} has no person {username}.")
        if action == "reset":
            if body.get("second_factor"):
                person["second_factor"] = False
            return self._link(person)
        person.update(body)
        return _json(200, person)

    # -- SSO apps -----------------------------------------------------------------------

    def _apps(self, method: str, unit: str, client_id: str | None) -> Reply:
        mine = self.apps.get(unit, [])
        if method == "GET":
            return _json(200, {"items": mine, "discovery_url":
                               f"{self.fake.url}/sso/.well-known/openid-configuration"})
        app = next((a for a in mine if a["client_id"] == client_id), None)
        if app is None:
            return _error(404, "sso_app_not_found", f"{unit} has no SSO app {client_id}")
        if app["client_type"] != "confidential" or app["status"] != "active":
            return _error(409, "sso_app_has_no_secret",
                          "Only an active app with a client secret can rotate it.")
        secret = f"client-secret-{next(self._ids)}-once"
        self.issued.append(secret)
        return _json(200, {"client_id": app["client_id"], "client_secret": secret})
