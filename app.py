"""The LGSP hub: every route, event source and schedule of the functions package.

Handlers stay thin: the blueprints in `chalicelib/api/` parse, call one use case in
`chalicelib/services/`, and render. Nothing is built at import time.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, WebsocketEvent

from chalicelib.api.access_keys import keys_api
from chalicelib.api.admin import admin_api
from chalicelib.api.catalogue import catalogue_api
from chalicelib.api.console import console_api
from chalicelib.api.directory import directory_api
from chalicelib.api.edxml import edxml_api
from chalicelib.api.exchange import exchange_api
from chalicelib.api.exports import declare_binary
from chalicelib.api.federation import federation_api
from chalicelib.api.federation_peer import federation_peer_api
from chalicelib.api.http import answer_undeclared_methods
from chalicelib.api.join_requests import requests_api
from chalicelib.api.logs import logs_api
from chalicelib.api.meta import meta_api
from chalicelib.api.notices import notices_api
from chalicelib.api.people import people_api
from chalicelib.api.presence import presence_api
from chalicelib.api.proxy import proxy_api
from chalicelib.api.relay import relay_api
from chalicelib.api.report_history import report_history_api
from chalicelib.api.reports import reports_api
from chalicelib.api.sessions import sessions_api
from chalicelib.api.sso import sso_api
from chalicelib.api.sso_pages import sso_pages_api
from chalicelib.api.status_replies import status_replies_api
from chalicelib.api.units_admin import units_admin_api
from chalicelib.api.webhooks import webhooks_api

app = Chalice(app_name="lgsp")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.log.setLevel(logging.INFO)  # one JSON line per request: route, status, unit, ms
app.register_blueprint(meta_api)
app.register_blueprint(exchange_api)
app.register_blueprint(keys_api)
app.register_blueprint(sessions_api)
app.register_blueprint(presence_api)
app.register_blueprint(reports_api)
app.register_blueprint(directory_api)
app.register_blueprint(admin_api)
app.register_blueprint(units_admin_api)
app.register_blueprint(requests_api)
app.register_blueprint(people_api)
app.register_blueprint(report_history_api)
app.register_blueprint(sso_api)
app.register_blueprint(sso_pages_api)
app.register_blueprint(console_api)
app.register_blueprint(logs_api)
app.register_blueprint(notices_api)
app.register_blueprint(federation_api)
app.register_blueprint(relay_api)
app.register_blueprint(status_replies_api)
app.register_blueprint(edxml_api)
app.register_blueprint(federation_peer_api)
app.register_blueprint(catalogue_api)
app.register_blueprint(webhooks_api)
app.register_blueprint(proxy_api)
declare_binary(app)  # report exports (CSV, XLSX)
# Last: every method a path above does not declare answers 405 in the project's shape.
answer_undeclared_methods(app)


@app.lambda_function(name="on_object_created")
def on_object_created(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 ObjectCreated notification: verify and announce an upload whose client never
    called `complete` (wired to the bucket in infra/aws/resources.yaml)."""
    from chalicelib.api import events
    return events.handle_object_created(event)


@app.lambda_function(name="on_event")
def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The topic's subscriber: push each event to the recipient's live WebSocket
    connections (subscribed to the SNS topic in infra/aws/resources.yaml)."""
    from chalicelib.api import events
    return events.handle_topic_event(event)


@app.lambda_function(name="bootstrap")
def bootstrap(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The deployment's first operator, once: `{"unit", "name", "app_name"?}` -> its app's
    credentials, shown only in this answer (`aws lambda invoke`, docs/deploy.md)."""
    from chalicelib.api import deployment
    return deployment.handle_bootstrap(event)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="sweep")
def sweep(event: CloudWatchEvent) -> dict[str, Any]:
    """Presence, deadlines, offline destinations, abandoned uploads (idempotent)."""
    from chalicelib.api import events
    return events.handle_sweep()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="webhooks")
def deliver_webhooks(event: CloudWatchEvent) -> dict[str, Any]:
    """The webhook outbox drained and due deliveries attempted (docs/webhooks.md)."""
    from chalicelib.api import events
    return events.handle_webhooks()


@app.on_ws_connect(name="ws_connect")
def ws_connect(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.api import websocket
    return websocket.handle_connect(event.to_dict())


@app.on_ws_message(name="ws_message")
def ws_message(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.api import websocket
    return websocket.handle_message(event.to_dict())


@app.on_ws_disconnect(name="ws_disconnect")
def ws_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.api import websocket
    return websocket.handle_disconnect(event.to_dict())
