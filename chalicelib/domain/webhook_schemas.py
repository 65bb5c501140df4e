"""Wire models of webhook subscriptions (issue 16, R-PROP-8; docs/webhooks.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model import Model
from .schemas import Strict

WebhookState = Literal["active", "disabled"]
_EVENTS = ("Event types (`message.confirmed`, ...), or `*` for every event the unit hears "
           "(docs/webhooks.md)")


class WebhookRequest(Strict):
    url: str = Field(min_length=8, max_length=2000, description="The endpoint: https, a "
                     "public address (docs/webhooks.md, what is refused)")
    events: list[str] = Field(min_length=1, max_length=20, description=_EVENTS)
    priorities: list[str] = Field(default_factory=list, max_length=10,
                                  description="Only message events of these priorities")
    counterparts: list[str] = Field(default_factory=list, max_length=50,
                                    description="Only message events whose other party is "
                                                "one of these units")
    description: str = Field(default="", max_length=200)


class WebhookChange(Strict):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20)
    priorities: list[str] | None = Field(default=None, max_length=10)
    counterparts: list[str] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=200)
    state: WebhookState | None = None


class WebhookView(Model):
    id: str
    unit: str
    url: str
    events: list[str]
    priorities: list[str]
    counterparts: list[str]
    description: str
    state: WebhookState
    created_at: str
    created_by: str
    updated_at: str
    secret_rotated_at: str | None = None
    disabled_reason: str | None = Field(default=None, description="`owner` (disabled "
                                        "by a change), `failing` (by the hub, after a day "
                                        "of failed deliveries)")
    failing_since: str | None = Field(default=None, description="The first failed "
                                      "attempt since the last delivery")
    last_success_at: str | None = None


class WebhookCreated(Model):
    webhook: WebhookView
    secret: str = Field(description="The signing secret (`whsec_...`), shown this once: "
                                    "keep it where the receiver verifies deliveries")


class WebhookPage(Model):
    items: list[WebhookView]
    next_cursor: str | None = None


class WebhookAttempt(Model):
    event_id: str
    event_type: str
    at: str
    attempt: int = Field(description="1 for the first attempt of this event")
    status: int | None = Field(description="The endpoint's HTTP status, if it answered")
    latency_ms: float | None = None
    error: str | None = Field(description="Why it failed: `http_status` (not a 2xx), "
                              "`timeout`, `connect_failed`, `tls_failed`, `bad_answer`, "
                              "`refused:<reason>` (the address is not one the hub calls)")
    delivered: bool


class WebhookAttemptPage(Model):
    items: list[WebhookAttempt]
    next_cursor: str | None = None


class DeadLetter(Model):
    event_id: str
    event_type: str
    event_at: str
    dead_at: str
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    reason: Literal["gave_up", "endpoint_disabled"]


class DeadLetterPage(Model):
    items: list[DeadLetter]
    next_cursor: str | None = None


class Redelivery(Model):
    queued: int = Field(description="Dead letters queued for delivery now")
    more: bool = Field(default=False, description="More are left: call again")


class PingQueued(Model):
    event_id: str = Field(description="The `webhook.ping` event's id, its `webhook-id`")
