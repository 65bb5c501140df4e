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


class WebhookCreated(Model):
    webhook: WebhookView
    secret: str = Field(description="The signing secret (`whsec_...`), shown this once: "
                                    "keep it where the receiver verifies deliveries")


class WebhookPage(Model):
    items: list[WebhookView]
    next_cursor: str | None = None
