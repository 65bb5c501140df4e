"""The notice routes (`/v1/notices`, `/v1/admin/notices...`, R-OPS-4) on top of the fake
hub's authentication, for the CLI tests of `lgsp notices` and `lgsp admin notices`.

Operators publish, list and cancel (others get 403 `forbidden`); every caller reads the
current notices. The body is checked as the hub's contract says (times ISO-8601 with an
offset, a known severity and services), and every request body is kept for the tests."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from tests.client.fakehub import FakeHub
from tests.client.server import Received, Reply

SEVERITIES = {"info", "maintenance", "outage"}
SERVICES = {"exchange", "realtime", "directory", "registry", "sso", "sessions", "reports",
            "console", "all"}


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> Reply:
    return _json(status, {"error": {"code": code, "message": message}})


def _utc(text: str) -> str:
    moment = datetime.datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class NoticesHub:
    fake: FakeHub
    operators: set[str] = field(default_factory=set)
    notices: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, r: Received) -> Reply:
        path = r.path.partition("?")[0]
        if not (path == "/v1/notices" or path.startswith("/v1/admin/notices")):
            return self.fake(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        if path == "/v1/notices":
            current = [n for n in self.notices if n["state"] in ("upcoming", "active")]
            return _json(200, {"items": current, "server_time": "2026-12-01T10:00:00Z"})
        if caller not in self.operators:
            return _error(403, "forbidden", "Only operator apps may do this.")
        if (r.method, path) == ("POST", "/v1/admin/notices"):
            return self._publish(caller, json.loads(r.body))
        if (r.method, path) == ("GET", "/v1/admin/notices"):
            return _json(200, {"items": self.notices[::-1], "next_cursor": None})
        notice_id = path.split("/")[4]
        found = [n for n in self.notices if n["id"] == notice_id]
        if not found:
            return _error(404, "notice_not_found", "No such notice.")
        found[0].update(state="cancelled", cancelled_at="2026-12-01T10:05:00Z",
                        cancelled_by="app")
        return _json(200, found[0])

    def _publish(self, caller: str, body: dict[str, Any]) -> Reply:
        self.bodies.append(body)
        if body.get("severity") not in SEVERITIES or not set(body.get("services", ["all"])) \
                <= SERVICES:
            return _error(400, "validation_failed", "severity or services")
        notice = {"id": f"{len(self.notices) + 1:032x}", "title": body["title"],
                  "body": body["body"], "severity": body["severity"],
                  "services": body.get("services", ["all"]),
                  "starts_at": _utc(body.get("starts_at", "2026-12-01T10:00:00Z")),
                  "ends_at": _utc(body["ends_at"]), "state": "upcoming",
                  "created_by": "app", "created_by_unit": caller,
                  "created_at": "2026-12-01T10:00:00Z", "cancelled_at": None,
                  "cancelled_by": None}
        self.notices.append(notice)
        return _json(201, notice)
