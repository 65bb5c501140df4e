"""Peer-facing routes of the relay between hubs (issue 15, R-PROP-10; docs/federation.md,
"The relay"). Only peer hubs call them, each call signed with the calling hub's key and
verified against the key registered for it (services/peer_auth.py); an app's signature,
an unregistered hub or a disabled one is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route

if TYPE_CHECKING:
    from chalicelib.domain.relay_schemas import ContentGrant, RelayAccepted, ReportRecorded

models = WireModels("chalicelib.domain.relay_schemas")

relay_api = Blueprint(__name__)
_PEERS = "Only peer hubs call this, signed with their hub key (docs/federation.md)."


@api_route(relay_api, RouteSpec(
    "POST", "/v1/federation/messages", "A peer hub hands over a message for units of this "
    "hub (idempotent by the origin's id). " + _PEERS, models.RelayAccepted, status=201,
    request=models.RelayedMessage, peer=True, errors=(400, 401, 403, 404), idempotent=True))
def receive_relayed(call: Call) -> RelayAccepted:
    from chalicelib.services import relay_in
    return relay_in.receive(call.deps, call.hub, call.body)


@api_route(relay_api, RouteSpec(
    "POST", "/v1/federation/messages/{message_id}/events", "A peer hub reports an outcome "
    "at one of its units a message was handed to it for. " + _PEERS, models.ReportRecorded,
    request=models.OutcomeReport, peer=True, errors=(400, 401, 403, 404), idempotent=True))
def report_outcome(call: Call, message_id: str) -> ReportRecorded:
    from chalicelib.domain.relay_schemas import ReportRecorded
    from chalicelib.services import relay_in
    return ReportRecorded(recorded=relay_in.apply_report(call.deps, call.hub, message_id,
                                                         call.body))


@api_route(relay_api, RouteSpec(
    "POST", "/v1/federation/messages/{message_id}/content-url", "A fresh presigned GET of a "
    "message's content for the peer hub it was handed to. " + _PEERS, models.ContentGrant,
    peer=True, errors=(401, 403, 404), idempotent=True))
def content_url(call: Call, message_id: str) -> ContentGrant:
    from chalicelib.services import relay_in
    return relay_in.content_grant(call.deps, call.hub, message_id)
