"""Brokered service-to-service calls (R-AUTH-1..6): services, grants, sessions,
introspection and the hub's public keys. Thin handlers over `chalicelib/services/`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route

if TYPE_CHECKING:
    from chalicelib.domain.session_schemas import (
        GrantView,
        Introspection,
        Jwks,
        ServiceList,
        ServiceView,
        SessionGrant,
    )

models = WireModels("chalicelib.domain.session_schemas")

sessions_api = Blueprint(__name__)


@api_route(sessions_api, RouteSpec(
    "POST", "/v1/services", "Register a service the caller's unit exposes", models.ServiceView,
    status=201, request=models.RegisterServiceRequest, errors=(400, 401, 409),
    idempotent=True))  # by id: a second one is 409 service_exists
def register_service(call: Call) -> ServiceView:
    from chalicelib.services import service_registry
    view = service_registry.register_service(call.deps, call.who, call.body)
    call.headers["Location"] = f"/v1/services/{view.id}"
    return view


@api_route(sessions_api, RouteSpec(
    "GET", "/v1/services", "The services of the caller's unit", models.ServiceList, errors=(401,)))
def list_services(call: Call) -> ServiceList:
    from chalicelib.services import service_registry
    return service_registry.list_services(call.deps, call.who)


@api_route(sessions_api, RouteSpec(
    "POST", "/v1/grants", "Operators: let a source unit (or app) call a service",
    models.GrantView, status=201, request=models.CreateGrantRequest,
    errors=(400, 401, 403, 404, 409),
    idempotent=True))  # one grant per source and service: a second one is 409 grant_exists
def create_grant(call: Call) -> GrantView:
    from chalicelib.services import service_registry
    return service_registry.create_grant(call.deps, call.who, call.body)


@api_route(sessions_api, RouteSpec(
    "DELETE", "/v1/grants/{grant_id}", "Operators: remove a grant (its sessions stop "
    "introspecting as active)", models.GrantView, errors=(401, 403, 404)))
def delete_grant(call: Call, grant_id: str) -> GrantView:
    from chalicelib.services import service_registry
    return service_registry.delete_grant(call.deps, call.who, grant_id)


@api_route(sessions_api, RouteSpec(
    "POST", "/v1/auth/sessions", "A session token to call a destination service "
    "(R-AUTH-1/2)", models.SessionGrant, status=201, request=models.OpenSessionRequest,
    errors=(400, 401, 403), idempotent=True))  # another short-lived token, no state
def open_session(call: Call) -> SessionGrant:
    from chalicelib.services import sessions
    call.headers["Cache-Control"] = "no-store"
    return sessions.open_session(call.deps, call.who, call.body)


@api_route(sessions_api, RouteSpec(
    "POST", "/v1/auth/introspect", "RFC 7662 introspection of a session token by the "
    "destination service (R-AUTH-4/5)", models.Introspection, request=models.IntrospectRequest,
    errors=(400, 401),
    before_retry="Without `request` a retry is harmless. With it, the forwarded call's nonce "
                 "may be spent already and a retry may answer {\"active\": false}: ask the "
                 "source to sign its call again."))
def introspect(call: Call) -> Introspection:
    from chalicelib.services import sessions
    call.headers["Cache-Control"] = "no-store"
    return sessions.introspect(call.deps, call.who, call.body.token, call.body.request)


@api_route(sessions_api, RouteSpec(
    "GET", "/.well-known/jwks.json", "The hub's public token-signing keys (RFC 7517)",
    models.Jwks, signed=False))
def jwks(call: Call) -> Jwks:
    from chalicelib.domain.session_schemas import Jwks
    from chalicelib.services import hub_signing
    call.headers["Cache-Control"] = "max-age=300"
    return Jwks(keys=hub_signing.jwks(call.deps))
