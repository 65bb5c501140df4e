"""Webhook subscriptions over REST (issue 16, R-PROP-8; docs/webhooks.md): an app
registers its unit's endpoints, lists, changes, rotates the secret of and removes them."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, RouteSpec, api_route, page_limit
from chalicelib.domain.federation_schemas import Removed
from chalicelib.domain.webhook_schemas import (
    WebhookChange,
    WebhookCreated,
    WebhookPage,
    WebhookRequest,
    WebhookView,
)

webhooks_api = Blueprint(__name__)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks", "Register an endpoint of the caller's unit for its events; the "
    "signing secret is answered this once (R-PROP-8)", WebhookCreated, status=201,
    request=WebhookRequest, errors=(400, 401, 409),
    before_retry="Look for the endpoint in GET /v1/webhooks; a new one has a new secret."))
def create_webhook(call: Call) -> WebhookCreated:
    from chalicelib.services import webhooks
    return webhooks.create(call.deps, call.who, call.body)


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks", "The caller's unit's webhook endpoints", WebhookPage,
    query=PAGING, errors=(400, 401)))
def list_webhooks(call: Call) -> WebhookPage:
    from chalicelib.services import webhooks
    return webhooks.list_mine(call.deps, call.who, limit=page_limit(call),
                              cursor=call.query("cursor"))


@api_route(webhooks_api, RouteSpec(
    "GET", "/v1/webhooks/{webhook_id}", "One endpoint of the caller's unit", WebhookView,
    errors=(401, 404)))
def get_webhook(call: Call, webhook_id: str) -> WebhookView:
    from chalicelib.services import webhooks
    return webhooks.get(call.deps, call.who, webhook_id)


@api_route(webhooks_api, RouteSpec(
    "PATCH", "/v1/webhooks/{webhook_id}", "Change an endpoint (fields left out stay); "
    "`state: disabled` stops its deliveries", WebhookView, request=WebhookChange,
    errors=(400, 401, 404, 409), idempotent=True))
def change_webhook(call: Call, webhook_id: str) -> WebhookView:
    from chalicelib.services import webhooks
    return webhooks.update(call.deps, call.who, webhook_id, call.body)


@api_route(webhooks_api, RouteSpec(
    "POST", "/v1/webhooks/{webhook_id}/rotate-secret", "A new signing secret, answered "
    "this once; the previous one keeps signing beside it for a day", WebhookCreated,
    errors=(401, 404),
    before_retry="A retry makes yet another secret: the last one answered is current."))
def rotate_webhook_secret(call: Call, webhook_id: str) -> WebhookCreated:
    from chalicelib.services import webhooks
    return webhooks.rotate_secret(call.deps, call.who, webhook_id)


@api_route(webhooks_api, RouteSpec(
    "DELETE", "/v1/webhooks/{webhook_id}", "Remove an endpoint: nothing more is delivered "
    "to it", Removed, errors=(401, 404, 409)))
def remove_webhook(call: Call, webhook_id: str) -> Removed:
    from chalicelib.services import webhooks
    webhooks.remove(call.deps, call.who, webhook_id)
    return Removed(id=webhook_id)
