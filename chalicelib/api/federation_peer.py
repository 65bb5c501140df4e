"""The routes peer hubs call (issue 15, R-PROP-10; docs/federation.md, "Between hubs"),
each signed by a registered peer hub (`lgsp-hub`), never by an app: a ping to prove a
link, and one of our units by code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route

if TYPE_CHECKING:
    from chalicelib.domain.peer_call_schemas import PeerUnit, PingAnswer

models = WireModels("chalicelib.domain.peer_call_schemas")

federation_peer_api = Blueprint(__name__)


def _our_url(call: Call) -> str:
    from chalicelib.api.pages import public_base
    return public_base(call.request, call.deps.settings)


@api_route(federation_peer_api, RouteSpec(
    "POST", "/v1/federation/ping", "Peer hubs: prove the link: this hub's URL, the id it "
    "knows the caller by, its time", models.PingAnswer, peer=True, errors=(401, 403, 503),
    idempotent=True))
def ping(call: Call) -> PingAnswer:
    from chalicelib.services import peer_link
    return peer_link.ping(call.deps, call.hub, _our_url(call))


@api_route(federation_peer_api, RouteSpec(
    "GET", "/v1/federation/units/{code}", "Peer hubs: one unit of this hub's registry, in "
    "any state (404 for any other code)", models.PeerUnit, peer=True,
    errors=(400, 401, 403, 404, 503)))
def unit(call: Call, code: str) -> PeerUnit:
    from chalicelib.services import peer_link
    return peer_link.unit(call.deps, call.hub, code, _our_url(call))
