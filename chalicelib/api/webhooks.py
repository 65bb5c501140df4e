"""Webhook subscriptions over REST (issue 16, R-PROP-8; docs/webhooks.md): an app
registers its unit's endpoints, lists, changes, rotates the secret of and removes them,
reads their attempts and dead letters, redelivers and pings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, RouteSpec, WireModels, api_route, page_limit

if TYPE_CHECKING:
    from chalicelib.domain.federation_schemas import Removed
    from chalicelib.domain.webhook_schemas import (
        DeadLetterPage,
        PingQueued,
        Redelivery,
        WebhookAttemptPage,
        WebhookCreated,
        WebhookPage,
        WebhookView,
    )

federation = WireModels("chalicelib.domain.federation_schemas")
models = WireModels("chalicelib.domain.webhook_schemas")

webhooks_api = Blueprint(__name__)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks", "Register an endpoint of the caller's unit for its events; the "
    "signing secret is answered this once (R-PROP-8)", models.WebhookCreated, status=201,
    request=models.WebhookRequest, errors=(400, 401, 409),
    before_retry="Look for the endpoint in GET /v1/webhooks; a new one has a new secret."))
def create_webhook(call: Call) -> WebhookCreated:
    from chalicelib.services import webhooks
    return webhooks.create(call.deps, call.who, call.body)


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks", "The caller's unit's webhook endpoints", models.WebhookPage,
    query=PAGING, errors=(400, 401)))
def list_webhooks(call: Call) -> WebhookPage:
    from chalicelib.services import webhooks
    return webhooks.list_mine(call.deps, call.who, limit=page_limit(call),
                              cursor=call.query("cursor"))


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks/{webhook_id}", "One endpoint of the caller's unit", models.WebhookView,
    errors=(401, 404)))
def get_webhook(call: Call, webhook_id: str) -> WebhookView:
    from chalicelib.services import webhooks
    return webhooks.get(call.deps, call.who, webhook_id)


@api_route(webhooks_api, RouteSpec(
    "PATCH", "/v1/webhooks/{webhook_id}", "Change an endpoint (fields left out stay); "
    "`state: disabled` stops its deliveries", models.WebhookView, request=models.WebhookChange,
    errors=(400, 401, 404, 409), idempotent=True))
def change_webhook(call: Call, webhook_id: str) -> WebhookView:
    from chalicelib.services import webhooks
    return webhooks.update(call.deps, call.who, webhook_id, call.body)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks/{webhook_id}/rotate-secret", "A new signing secret, answered "
    "this once; the previous one keeps signing beside it for a day", models.WebhookCreated,
    errors=(401, 404),
    before_retry="A retry makes yet another secret: the last one answered is current."))
def rotate_webhook_secret(call: Call, webhook_id: str) -> WebhookCreated:
    from chalicelib.services import webhooks
    return webhooks.rotate_secret(call.deps, call.who, webhook_id)


@api_route(webhooks_api, RouteSpec(
    "DELETE", "/v1/webhooks/{webhook_id}", "Remove an endpoint: nothing more is delivered "
    "to it", federation.Removed, errors=(401, 404, 409)))
def remove_webhook(call: Call, webhook_id: str) -> Removed:
    from chalicelib.domain.federation_schemas import Removed
    from chalicelib.services import webhooks
    webhooks.remove(call.deps, call.who, webhook_id)
    return Removed(id=webhook_id)


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks/{webhook_id}/attempts", "The endpoint's delivery attempts of the "
    "last 7 days, newest first: status, latency, error", models.WebhookAttemptPage, query=PAGING,
    errors=(400, 401, 404)))
def list_attempts(call: Call, webhook_id: str) -> WebhookAttemptPage:
    from chalicelib.services import webhook_letters
    return webhook_letters.attempts(call.deps, call.who, webhook_id, limit=page_limit(call),
                                    cursor=call.query("cursor"))


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks/{webhook_id}/dead-letters", "The endpoint's dead letters: events "
    "the hub gave up delivering (kept 30 days)", models.DeadLetterPage, query=PAGING,
    errors=(400, 401, 404)))
def list_dead_letters(call: Call, webhook_id: str) -> DeadLetterPage:
    from chalicelib.services import webhook_letters
    return webhook_letters.dead_letters(call.deps, call.who, webhook_id,
                                        limit=page_limit(call), cursor=call.query("cursor"))


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks/{webhook_id}/dead-letters/redeliver", "Queue the endpoint's dead "
    "letters (up to 45 a call) for delivery now, each with a new retry window", models.Redelivery,
    status=202, errors=(401, 404, 409),
    before_retry="Safe: what was queued is no longer a dead letter."))
def redeliver_all(call: Call, webhook_id: str) -> Redelivery:
    from chalicelib.services import webhook_letters
    return webhook_letters.redeliver(call.deps, call.who, webhook_id, None)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks/{webhook_id}/dead-letters/{event_id}/redeliver", "Queue one dead "
    "letter for delivery now, with a new retry window", models.Redelivery, status=202,
    errors=(401, 404, 409),
    before_retry="A 404 after a retry means the first call queued it."))
def redeliver_one(call: Call, webhook_id: str, event_id: str) -> Redelivery:
    from chalicelib.services import webhook_letters
    return webhook_letters.redeliver(call.deps, call.who, webhook_id, event_id)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks/{webhook_id}/ping", "Send the endpoint a `webhook.ping`, signed "
    "and retried like any event, to try it", models.PingQueued, status=202, errors=(401, 404, 409),
    before_retry="A retry sends another ping."))
def ping_webhook(call: Call, webhook_id: str) -> PingQueued:
    from chalicelib.services import webhook_letters
    return webhook_letters.ping(call.deps, call.who, webhook_id)
