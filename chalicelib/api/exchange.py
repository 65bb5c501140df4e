"""Exchange routes (R-SEND, R-RECV): thin handlers over `chalicelib/services/`."""

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
    from chalicelib.domain.schemas import (
        CreateMessageResponse,
        DeliveryPage,
        DeliveryView,
        FetchGrant,
        InboxPage,
        MessageStatus,
        OutboxPage,
        TracePage,
        UploadPlan,
    )

models = WireModels("chalicelib.domain.schemas")

exchange_api = Blueprint(__name__)

IDEMPOTENCY = QueryParam("Idempotency-Key", "Retries with the same key return the same "
                         "message.", {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"})


@api_route(exchange_api, RouteSpec(
    "POST", "/v1/messages", "Request an exchange space for a new message (R-SEND-2)",
    models.CreateMessageResponse, status=201, request=models.CreateMessageRequest,
    headers=(IDEMPOTENCY,),
    errors=(400, 401, 409, 413), idempotency_header=IDEMPOTENCY.name,
    before_retry="Without an Idempotency-Key each call is a new message: look for it in "
                 "GET /v1/outbox before sending again, and send an Idempotency-Key so that "
                 "retries are safe."))
def create_message(call: Call) -> CreateMessageResponse:
    from chalicelib.services import send
    created = send.create_message(call.deps, call.who, call.body,
                                  call.request.headers.get("idempotency-key"))
    if created.replayed:
        call.status = 200
        call.headers["Idempotent-Replayed"] = "true"
    call.headers["Location"] = f"/v1/messages/{created.response.message.id}"
    return created.response


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/messages/{message_id}/upload", "Fresh upload URLs for a message still "
    "waiting for its content", models.UploadPlan, errors=(401, 404, 409)))
def upload_plan(call: Call, message_id: str) -> UploadPlan:
    from chalicelib.services import send
    return send.upload_plan(call.deps, call.who, message_id)


@api_route(exchange_api, RouteSpec(
    "POST", "/v1/messages/{message_id}/complete", "Tell the hub the upload is done; it "
    "verifies length and SHA-256 and delivers (R-SEND-3/4)", models.MessageStatus,
    request=models.CompleteRequest, errors=(400, 401, 404, 409, 422), idempotent=True))
def complete(call: Call, message_id: str) -> MessageStatus:
    from chalicelib.services import send, status
    etags = {p.part_number: p.etag for p in call.body.parts}
    done = send.complete_upload(call.deps, call.who, message_id, etags)
    return status.written_status(call.deps, call.who, done.message, done.deliveries)


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/messages/{message_id}", "Status, per-destination deliveries and trace "
    "(R-SEND-5)", models.MessageStatus, errors=(401, 404)))
def message_status(call: Call, message_id: str) -> MessageStatus:
    from chalicelib.services import status
    return status.message_status(call.deps, call.who, message_id)


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/messages/{message_id}/deliveries", "A page of the message's deliveries "
    "(the source: every destination, by unit code; a destination: its own)", models.DeliveryPage,
    query=PAGING, errors=(400, 401, 404)))
def message_deliveries(call: Call, message_id: str) -> DeliveryPage:
    from chalicelib.services import status
    return status.deliveries(call.deps, call.who, message_id, limit=page_limit(call),
                             cursor=call.query("cursor"))


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/messages/{message_id}/trace", "A page of the message's trace, oldest first "
    "(a destination sees the message's steps and its own)", models.TracePage, query=PAGING,
    errors=(400, 401, 404)))
def message_trace(call: Call, message_id: str) -> TracePage:
    from chalicelib.services import status
    return status.trace(call.deps, call.who, message_id, limit=page_limit(call),
                        cursor=call.query("cursor"))


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/inbox", "Messages waiting for the caller's unit, by priority then age "
    "(R-RECV-1)", models.InboxPage, query=PAGING, errors=(400, 401)))
def inbox(call: Call) -> InboxPage:
    from chalicelib.services.inbox import inbox as listing
    return listing(call.deps, call.who, limit=page_limit(call), cursor=call.query("cursor"))


@api_route(exchange_api, RouteSpec(
    "GET", "/v1/outbox", "Messages the caller's unit sent, newest first (R-SEND-1)",
    models.OutboxPage, query=PAGING, errors=(400, 401)))
def outbox(call: Call) -> OutboxPage:
    from chalicelib.services import status
    return status.outbox(call.deps, call.who, limit=page_limit(call), cursor=call.query("cursor"))


@api_route(exchange_api, RouteSpec(
    "POST", "/v1/messages/{message_id}/fetch", "A short-lived download URL for a "
    "destination (R-RECV-2)", models.FetchGrant, errors=(401, 404, 409), idempotent=True))
def fetch(call: Call, message_id: str) -> FetchGrant:
    from chalicelib.services import receive
    return receive.fetch(call.deps, call.who, message_id)


@api_route(exchange_api, RouteSpec(
    "POST", "/v1/messages/{message_id}/confirm", "Confirm receipt with the SHA-256 the "
    "destination computed (R-RECV-3)", models.DeliveryView, request=models.ConfirmRequest,
    errors=(400, 401, 404, 409, 422), idempotent=True))
def confirm(call: Call, message_id: str) -> DeliveryView:
    from chalicelib.services import receive
    return receive.confirm(call.deps, call.who, message_id, call.body.sha256)


@api_route(exchange_api, RouteSpec(
    "POST", "/v1/messages/{message_id}/reject", "Refuse a message with a reason",
    models.DeliveryView, request=models.RejectRequest, errors=(400, 401, 404, 409),
    idempotent=True))
def reject(call: Call, message_id: str) -> DeliveryView:
    from chalicelib.services import receive
    return receive.reject(call.deps, call.who, message_id, call.body.reason)
