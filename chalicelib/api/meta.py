"""Routes about the hub itself: health, time (R-PROP-4), identity, the OpenAPI document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route
from chalicelib.domain.times import iso

if TYPE_CHECKING:
    from chalicelib.domain.schemas import Health, Readiness, ServerTime, WhoAmI

models = WireModels("chalicelib.domain.schemas")

meta_api = Blueprint(__name__)


@api_route(meta_api, RouteSpec("GET", "/v1/health", "Liveness", models.Health, signed=False))
def health(call: Call) -> Health:
    from chalicelib.domain.schemas import Health
    s = call.deps.settings
    return Health(status="ok", version=s.version, websocket_url=s.websocket_url)


@api_route(meta_api, RouteSpec("GET", "/v1/health/ready", "Readiness: this process reaches "
                               "the table and the store (a load balancer's health check)",
                               models.Readiness, signed=False, errors=(503,)))
def ready(call: Call) -> Readiness:
    from chalicelib.domain.schemas import Readiness
    from chalicelib.services import readiness  # not on the cold path of other routes

    readiness.check(call.deps)
    return Readiness(status="ready", version=call.deps.settings.version, table="ok",
                     store="ok")


@api_route(meta_api, RouteSpec("GET", "/v1/time", "The hub's clock, for clients to "
                               "resynchronise (R-PROP-4)", models.ServerTime, signed=False))
def server_time(call: Call) -> ServerTime:
    from chalicelib.domain.schemas import ServerTime
    now = call.deps.clock.now()
    return ServerTime(epoch=now, iso=iso(now))


@api_route(meta_api, RouteSpec("GET", "/v1/whoami", "The authenticated caller", models.WhoAmI,
                               errors=(401,)))
def whoami(call: Call) -> WhoAmI:
    from chalicelib.domain.schemas import WhoAmI
    who = call.who
    return WhoAmI(unit=who.unit, app=who.app, key_id=who.key_id, algorithm=who.algorithm,
                  person=who.person, roles=list(who.roles))


@meta_api.route("/openapi.json", methods=["GET"], content_types=["*/*"])
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route, built from the handlers' models."""
    from chalicelib.api.openapi import openapi_document
    return Response(body=json.dumps(openapi_document(), ensure_ascii=False),
                    headers={"Content-Type": "application/json"})
