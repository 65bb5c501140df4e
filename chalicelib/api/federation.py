"""Peer hubs and routes over REST (issue 15, R-PROP-10; docs/federation.md): operators
register the hubs of other provinces and the national platform, map unit-code patterns to
them, and ask where a code goes. Unit admins and ordinary apps get 403."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import (
    PAGING,
    Call,
    QueryParam,
    RouteSpec,
    WireModels,
    api_route,
    page_limit,
)

if TYPE_CHECKING:
    from chalicelib.domain.federation_schemas import (
        PeerPage,
        PeerView,
        Removed,
        ResolutionView,
        RoutePage,
        RouteView,
    )
    from chalicelib.domain.peer_call_schemas import PeerCheck

models = WireModels("chalicelib.domain.federation_schemas")
peer_call = WireModels("chalicelib.domain.peer_call_schemas")

federation_api = Blueprint(__name__)


@api_route(federation_api, RouteSpec(
    "POST", "/v1/admin/peers", "Operators: register a peer hub (another province, the "
    "national platform): base URL, the public key it signs with (JWK or JWKS URL)",
    models.PeerView, status=201, request=models.PeerRequest, errors=(400, 401, 403, 409),
    before_retry="Look for the peer in GET /v1/admin/peers."))
def create_peer(call: Call) -> PeerView:
    from chalicelib.services import peers
    return peers.create(call.deps, call.who, call.body)


@api_route(federation_api, RouteSpec(
    "GET", "/v1/admin/peers", "Operators: every peer hub, by id", models.PeerPage, query=PAGING,
    errors=(400, 401, 403)))
def list_peers(call: Call) -> PeerPage:
    from chalicelib.services import peers
    return peers.list_all(call.deps, call.who, limit=page_limit(call),
                          cursor=call.query("cursor"))


@api_route(federation_api, RouteSpec(
    "GET", "/v1/admin/peers/{peer}", "Operators: one peer hub", models.PeerView,
    errors=(401, 403, 404)))
def get_peer(call: Call, peer: str) -> PeerView:
    from chalicelib.services import peers
    return peers.get(call.deps, call.who, peer)


@api_route(federation_api, RouteSpec(
    "PATCH", "/v1/admin/peers/{peer}", "Operators: change a peer's name, base URL, key, "
    "the key we sign with toward it, or its state (active / disabled)", models.PeerView,
    request=models.PeerChange, errors=(400, 401, 403, 404), idempotent=True))
def update_peer(call: Call, peer: str) -> PeerView:
    from chalicelib.services import peers
    return peers.update(call.deps, call.who, peer, call.body)


@api_route(federation_api, RouteSpec(
    "DELETE", "/v1/admin/peers/{peer}", "Operators: remove a peer no route points to",
    models.Removed, errors=(401, 403, 404, 409)))
def remove_peer(call: Call, peer: str) -> Removed:
    from chalicelib.domain.federation_schemas import Removed
    from chalicelib.services import peers
    peers.remove(call.deps, call.who, peer)
    return Removed(id=peer)


@api_route(federation_api, RouteSpec(
    "POST", "/v1/admin/routes", "Operators: route a unit-code pattern (a code, a level-1 "
    "part, a letter class, or * the default) to a peer hub", models.RouteView, status=201,
    request=models.RouteRequest, errors=(400, 401, 403, 404, 409),
    before_retry="Look for the route in GET /v1/admin/routes."))
def add_route(call: Call) -> RouteView:
    from chalicelib.services import peer_routes
    return peer_routes.add(call.deps, call.who, call.body)


@api_route(federation_api, RouteSpec(
    "GET", "/v1/admin/routes", "Operators: every route, by pattern", models.RoutePage, query=PAGING,
    errors=(400, 401, 403)))
def list_routes(call: Call) -> RoutePage:
    from chalicelib.services import peer_routes
    return peer_routes.list_all(call.deps, call.who, limit=page_limit(call),
                                cursor=call.query("cursor"))


@api_route(federation_api, RouteSpec(
    "GET", "/v1/admin/routes/resolve", "Operators: where a unit code goes: local (our "
    "registry), a peer hub (the most specific route), or no route", models.ResolutionView,
    query=(QueryParam("code", "The unit code to resolve.",
                      {"type": "string", "example": "000.00.00.H31"}, required=True),),
    errors=(400, 401, 403)))
def resolve_code(call: Call) -> ResolutionView:
    from chalicelib.services import peer_routes
    return peer_routes.resolve(call.deps, call.who, call.query("code"))


@api_route(federation_api, RouteSpec(
    "DELETE", "/v1/admin/routes/{route}", "Operators: remove a route (its id is its "
    "pattern, `default` for *)", models.Removed, errors=(401, 403, 404),
    before_retry="Look for the route in GET /v1/admin/routes."))
def remove_route(call: Call, route: str) -> Removed:
    from chalicelib.domain.federation_schemas import Removed
    from chalicelib.services import peer_routes
    peer_routes.remove(call.deps, call.who, route)
    return Removed(id=route)


@api_route(federation_api, RouteSpec(
    "POST", "/v1/admin/peers/{peer}/check", "Operators: send the peer hub a signed ping and "
    "show what came back (status, latency, the id it knows us by) or why it failed",
    peer_call.PeerCheck, errors=(401, 403, 404, 409), idempotent=True))
def check_peer(call: Call, peer: str) -> PeerCheck:
    from chalicelib.services import peer_link
    return peer_link.check(call.deps, call.who, peer)
