"""Presence and WebSocket tickets over REST (R-PROP-9, R-PROP-12, R-COMP-5)."""

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
    from chalicelib.domain.presence_schemas import OnlineUnits, PresenceHistory, PresenceView
    from chalicelib.domain.session_schemas import WsTicket

models = WireModels("chalicelib.domain.presence_schemas")
session = WireModels("chalicelib.domain.session_schemas")

presence_api = Blueprint(__name__)
UNIT = QueryParam("unit", "Operators: the unit to look at (default: the caller's).",
                  {"type": "string"})


@api_route(presence_api, RouteSpec(
    "POST", "/v1/ws/tickets", "A one-time ticket to open the WebSocket without signing "
    "the handshake (`?ticket=`)", session.WsTicket, status=201, errors=(401,),
    idempotent=True))  # another one-time ticket, unused ones expire
def ws_ticket(call: Call) -> WsTicket:
    from chalicelib.services import tickets
    return tickets.issue(call.deps, call.who, call.deps.settings.websocket_url)


@api_route(presence_api, RouteSpec(
    "GET", "/v1/presence", "Online or offline, since when, and the live connections "
    "(R-PROP-9)", models.PresenceView, query=(UNIT,), errors=(401, 403)))
def get_presence(call: Call) -> PresenceView:
    from chalicelib.services import presence
    return presence.presence(call.deps, call.who, call.query("unit"))


@api_route(presence_api, RouteSpec(
    "GET", "/v1/presence/history", "When the unit connected and disconnected, newest "
    "first (R-PROP-12)", models.PresenceHistory, query=(UNIT, *PAGING), errors=(400, 401, 403)))
def presence_history(call: Call) -> PresenceHistory:
    from chalicelib.services import presence
    return presence.history(call.deps, call.who, call.query("unit"), limit=page_limit(call),
                            cursor=call.query("cursor"))


@api_route(presence_api, RouteSpec(
    "GET", "/v1/presence/online", "Operators: the units online now", models.OnlineUnits,
    query=PAGING, errors=(400, 401, 403)))
def online_units(call: Call) -> OnlineUnits:
    from chalicelib.services import presence
    return presence.online_units(call.deps, call.who, limit=page_limit(call),
                                 cursor=call.query("cursor"))
