"""The LGSP hub: every route, event source and schedule of the functions package.

Handlers stay thin: the blueprints in `chalicelib/api/` parse, call one use case in
`chalicelib/services/`, and render. Nothing is built at import time.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Chalice

from chalicelib.api.admin import admin_api
from chalicelib.api.events import handle_object_created
from chalicelib.api.exchange import exchange_api
from chalicelib.api.keys import keys_api
from chalicelib.api.meta import meta_api
from chalicelib.api.sessions import sessions_api

app = Chalice(app_name="lgsp")
app.log.setLevel(logging.INFO)  # one JSON line per request: route, status, unit, ms
app.register_blueprint(meta_api)
app.register_blueprint(exchange_api)
app.register_blueprint(keys_api)
app.register_blueprint(sessions_api)
app.register_blueprint(admin_api)


@app.lambda_function(name="on_object_created")
def on_object_created(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 ObjectCreated notification: verify and announce an upload whose client never
    called `complete` (wired to the bucket in infra/aws/resources.yaml)."""
    return handle_object_created(event)
