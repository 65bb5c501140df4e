"""The webhook calls of `LgspClient` (issue 16, R-PROP-8, the hub's docs/webhooks.md):
your unit's endpoints, what was delivered to them, and what was given up on.

    created = client.create_webhook("https://app.example.gov.vn/hooks/lgsp",
                                    ["message.available", "message.confirmed"],
                                    priorities=["hoa_toc"])
    created["secret"]                           # whsec_…: answered this once, keep it
    client.list_webhooks()["items"]
    client.update_webhook(webhook_id, state="disabled")   # or url=, events=, ...
    client.rotate_webhook_secret(webhook_id)["secret"]    # the old one signs for a day more
    client.webhook_attempts(webhook_id)["items"]          # newest first: status, latency
    client.webhook_dead_letters(webhook_id)["items"]
    client.redeliver_webhook(webhook_id, event_id)        # or every dead letter: no event_id
    client.ping_webhook(webhook_id)["event_id"]           # a `webhook.ping` to that endpoint

Only reads and `update_webhook` (a PATCH, the same answer twice) are retried: a retried
create, rotation or redelivery could make a second endpoint, secret or delivery.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from lgsp_client.api_catalogue import paging

JSON = dict[str, Any]
CHANGEABLE = ("url", "events", "priorities", "counterparts", "description", "state")


class _Calls(Protocol):
    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any: ...


def _hook(webhook_id: str, *rest: str) -> str:
    return "/".join(["/v1/webhooks", urllib.parse.quote(webhook_id, safe=""),
                     *(urllib.parse.quote(part, safe="") for part in rest)])


class WebhookCalls:
    """Mixed into `LgspClient`."""

    def create_webhook(self: _Calls, url: str, events: Sequence[str], *,
                       priorities: Sequence[str] = (), counterparts: Sequence[str] = (),
                       description: str = "") -> JSON:
        """Register an endpoint of your unit: `{webhook, secret}`, the secret this once.
        `events`: event types or `["*"]`; `priorities`, `counterparts`: narrow message
        events (empty: no narrowing)."""
        body = {"url": url, "events": list(events), "priorities": list(priorities),
                "counterparts": list(counterparts), "description": description}
        return dict(self.call("POST", "/v1/webhooks", body=body, retry=False))

    def list_webhooks(self: _Calls, *, cursor: str | None = None,
                      limit: int | None = None) -> JSON:
        """`{items, next_cursor}`: your unit's endpoints (never a secret)."""
        return dict(self.call("GET", "/v1/webhooks", query=paging(cursor, limit)))

    def get_webhook(self: _Calls, webhook_id: str) -> JSON:
        return dict(self.call("GET", _hook(webhook_id)))

    def update_webhook(self: _Calls, webhook_id: str, **changes: Any) -> JSON:
        """Change what is given (`url`, `events`, `priorities`, `counterparts`,
        `description`, `state`: `active` or `disabled`); an empty list clears a filter."""
        unknown = sorted(set(changes) - set(CHANGEABLE))
        if unknown:
            raise TypeError(f"update_webhook: unknown fields {', '.join(unknown)}")
        body = {name: (list(value) if isinstance(value, list | tuple) else value)
                for name, value in changes.items() if value is not None}
        return dict(self.call("PATCH", _hook(webhook_id), body=body))

    def remove_webhook(self: _Calls, webhook_id: str) -> JSON:
        """`{id}`: nothing more is delivered to it. Not retried (a retry would answer
        `webhook_not_found` for what was removed)."""
        return dict(self.call("DELETE", _hook(webhook_id), retry=False))

    def rotate_webhook_secret(self: _Calls, webhook_id: str) -> JSON:
        """`{webhook, secret}`: a new secret, this once; the previous one keeps signing
        beside it for a day."""
        return dict(self.call("POST", _hook(webhook_id, "rotate-secret"), retry=False))

    def webhook_attempts(self: _Calls, webhook_id: str, *, cursor: str | None = None,
                         limit: int | None = None) -> JSON:
        """`{items, next_cursor}`, newest first: `event_id`, `event_type`, `at`,
        `attempt`, `status`, `latency_ms`, `error`, `delivered`."""
        return dict(self.call("GET", _hook(webhook_id, "attempts"),
                              query=paging(cursor, limit)))

    def webhook_dead_letters(self: _Calls, webhook_id: str, *, cursor: str | None = None,
                             limit: int | None = None) -> JSON:
        """`{items, next_cursor}`: events given up on (`reason` `gave_up` or
        `endpoint_disabled`), with their last status and error."""
        return dict(self.call("GET", _hook(webhook_id, "dead-letters"),
                              query=paging(cursor, limit)))

    def redeliver_webhook(self: _Calls, webhook_id: str, event_id: str | None = None
                          ) -> JSON:
        """`{queued}`: queue one dead letter again, or all of them without `event_id`."""
        path = (_hook(webhook_id, "dead-letters", event_id, "redeliver") if event_id
                else _hook(webhook_id, "dead-letters", "redeliver"))
        return dict(self.call("POST", path, retry=False))

    def ping_webhook(self: _Calls, webhook_id: str) -> JSON:
        """`{event_id}`: a `webhook.ping` event queued for that endpoint only."""
        return dict(self.call("POST", _hook(webhook_id, "ping"), retry=False))
