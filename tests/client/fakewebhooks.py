"""The webhook routes (`/v1/webhooks…`, issue 16, R-PROP-8) on top of the fake hub's
authentication, for the CLI tests of `lgsp webhooks`.

An endpoint belongs to the caller's unit (another unit's is `webhook_not_found`); the
body is checked as the hub's contract says (https URL, known event types or `*`, known
priorities, at most `limit` endpoints a unit); attempts and dead letters are what a test
puts in `attempts` / `dead` (newest first), paged two at a time when `page_size` says so.
Every request body is kept in `bodies`, every redelivery and ping in `queued`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.client.fakehub import FakeHub
from tests.client.server import Received, Reply

EVENTS = {"message.available", "message.confirmed", "message.expired", "notice", "*"}
PRIORITIES = {"hoa_toc", "thuong_khan", "khan", "thuong"}
NOW = "2026-12-01T10:00:00Z"


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> Reply:
    return _json(status, {"error": {"code": code, "message": message}})


@dataclass
class WebhooksHub:
    fake: FakeHub
    limit: int = 20
    page_size: int = 50
    hooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dead: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bodies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    queued: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, r: Received) -> Reply:
        path, _, query = r.path.partition("?")
        if not path.startswith("/v1/webhooks"):
            return self.fake(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        body = json.loads(r.body) if r.body else {}
        self.bodies.append((r.method, path, body))
        parts = path.strip("/").split("/")[2:]
        if not parts:
            if r.method == "POST":
                return self._create(caller, body)
            return self._page([h for h in self.hooks.values() if h["unit"] == caller], query)
        hook = self.hooks.get(parts[0])
        if hook is None or hook["unit"] != caller:
            return _error(404, "webhook_not_found", "No such webhook endpoint of your unit.")
        return self._one(r.method, hook, parts[1:], body, query)

    def _one(self, method: str, hook: dict[str, Any], rest: list[str], body: dict[str, Any],
             query: str) -> Reply:
        if not rest:
            if method == "GET":
                return _json(200, hook)
            if method == "DELETE":
                del self.hooks[hook["id"]]
                return _json(200, {"id": hook["id"]})
            return self._change(hook, body)
        if rest == ["rotate-secret"]:
            hook["secret_rotated_at"] = NOW
            return _json(200, {"webhook": hook, "secret": f"whsec_{'R' * 43}="})
        if rest == ["attempts"]:
            return self._page(self.attempts.get(hook["id"], []), query)
        if rest == ["dead-letters"]:
            return self._page(self.dead.get(hook["id"], []), query)
        if rest == ["ping"]:
            self.queued.append((hook["id"], "evt_ping1"))
            return _json(202, {"event_id": "evt_ping1"})
        dead = self.dead.get(hook["id"], [])
        wanted = [d for d in dead if rest == ["dead-letters", d["event_id"], "redeliver"]] \
            if len(rest) == 3 else list(dead)
        if len(rest) == 3 and not wanted:
            return _error(404, "dead_letter_not_found", "No such dead letter.")
        self.queued += [(hook["id"], d["event_id"]) for d in wanted]
        self.dead[hook["id"]] = [d for d in dead if d not in wanted]
        return _json(202, {"queued": len(wanted)})

    def _page(self, items: list[dict[str, Any]], query: str) -> Reply:
        start = int(dict(p.split("=") for p in query.split("&") if p).get("cursor", 0))
        end = start + self.page_size
        return _json(200, {"items": items[start:end],
                           "next_cursor": str(end) if end < len(items) else None})

    def _refused(self, body: dict[str, Any]) -> Reply | None:
        if "url" in body and not str(body["url"]).startswith("https://"):
            return _error(400, "invalid_webhook_url", "url: https with a public address.")
        for name, known in (("events", EVENTS), ("priorities", PRIORITIES)):
            bad = [v for v in body.get(name) or [] if v not in known]
            if bad or (name == "events" and "events" in body and not body["events"]):
                return _error(400, "invalid_webhook_filter", f"{name}: {bad}")
        return None

    def _create(self, caller: str, body: dict[str, Any]) -> Reply:
        refused = self._refused(body)
        if refused is not None:
            return refused
        if sum(h["unit"] == caller for h in self.hooks.values()) >= self.limit:
            return _error(409, "too_many_webhooks", "At most 20 endpoints a unit.")
        hook_id = f"wh_{len(self.hooks) + 1:04d}"
        self.hooks[hook_id] = {
            "id": hook_id, "unit": caller, "url": body["url"], "events": body["events"],
            "priorities": body.get("priorities", []),
            "counterparts": body.get("counterparts", []),
            "description": body.get("description", ""), "state": "active",
            "disabled_reason": None, "failing_since": None, "last_success_at": None,
            "created_at": NOW, "created_by": "app", "updated_at": NOW,
            "secret_rotated_at": None}
        return _json(201, {"webhook": self.hooks[hook_id], "secret": f"whsec_{'S' * 43}="})

    def _change(self, hook: dict[str, Any], body: dict[str, Any]) -> Reply:
        refused = self._refused(body)
        if refused is not None:
            return refused
        hook.update(body)
        if "state" in body:
            hook["disabled_reason"] = "owner" if body["state"] == "disabled" else None
            hook["failing_since"] = None
        return _json(200, hook)
