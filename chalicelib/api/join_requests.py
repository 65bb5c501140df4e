"""Joining and leaving requests over REST (R-OPS-1..3, R-JOIN-2..4): unit admins file,
complete and withdraw their unit's requests; operators list, approve and refuse them; the
answer letter downloads as a Word document.

Registering this blueprint also declares the DOCX media type binary (`app.api.binary_types`)
so chalice base64-encodes the letter for API Gateway and the local gateway decodes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.api.exports import BinaryBlueprint
from chalicelib.api.http import (
    PAGING,
    Call,
    Download,
    QueryParam,
    RouteSpec,
    WireModels,
    api_route,
    page_limit,
)
from chalicelib.domain.join_states import DOCX_CONTENT_TYPE, LIST_FILTERS

if TYPE_CHECKING:
    from chalicelib.domain import join_requests as jr

models = WireModels("chalicelib.domain.join_requests")

BASE = "/v1/admin/requests"
ONE = BASE + "/{id}"  # not request_id: the log line has the gateway's request_id
LETTER = ONE + "/letter"

requests_api = BinaryBlueprint(__name__, DOCX_CONTENT_TYPE)

LIST_QUERY = (
    QueryParam("unit", "Operators: one unit's requests, newest first.", {"type": "string"}),
    QueryParam("state", "Operators, listing every unit's requests (not with `unit`): "
               "submitted (open, by due time), draft or closed.",
               {"type": "string", "enum": sorted(LIST_FILTERS)}),
    *PAGING,
)
FORM_QUERY = (QueryParam("form", "The answer form (default) or the handover minutes "
                                 "(05, 11).", {"type": "string"}),)


@api_route(requests_api, RouteSpec(
    "POST", BASE, "File a request (forms 01, 03, 06, 08, 09, 12): complete at once, or a "
    "draft listing what is missing (unit admins; operators for any unit)", models.RequestView,
    status=201, request=models.FileRequestBody, errors=(400, 401, 403, 404),
    before_retry="Each call files a new request: look for it in GET /v1/admin/requests "
                 "before filing it again."))
def file_request(call: Call) -> jr.RequestView:
    from chalicelib.services import join_requests as requests_service
    body: jr.FileRequestBody = call.body
    view = requests_service.file_request(call.deps, call.who, body.kind, body.unit,
                                         body.fields)
    call.headers["Location"] = f"{BASE}/{view.id}"
    return view


@api_route(requests_api, RouteSpec(
    "GET", BASE, "Requests: operators all (open by due time, overdue first), unit admins "
    "their own unit's", models.RequestList, query=LIST_QUERY, errors=(400, 401, 403)))
def list_requests(call: Call) -> jr.RequestList:
    from chalicelib.services import join_requests as requests_service
    return requests_service.list_requests(
        call.deps, call.who, unit=call.query("unit"), state=call.query("state"),
        limit=page_limit(call), cursor=call.query("cursor"))


@api_route(requests_api, RouteSpec(
    "GET", ONE, "A request with its fields, due date and history", models.RequestView,
    errors=(401, 403, 404)))
def get_request(call: Call, id: str) -> jr.RequestView:
    from chalicelib.services import join_requests as requests_service
    return requests_service.get_request(call.deps, call.who, id)


@api_route(requests_api, RouteSpec(
    "PATCH", ONE, "Complete a draft: set fields; complete once nothing is missing",
    models.RequestView, request=models.CompleteRequestBody, errors=(400, 401, 403, 404, 409),
    idempotent=True))  # the same fields again change nothing; a completed one is 409
def complete_request(call: Call, id: str) -> jr.RequestView:
    from chalicelib.services import join_requests as requests_service
    return requests_service.complete_request(call.deps, call.who, id,
                                             call.body.fields)


@api_route(requests_api, RouteSpec(
    "POST", ONE + "/approve", "Approve and carry out a complete request (operators); an "
    "HMAC secret, an SSO client secret or an SSO admin's set-password link is in this "
    "answer only", models.ApprovalAnswer, request=models.ApproveBody,
    errors=(400, 401, 403, 404, 409), idempotent=True))  # by state: a second one is 409
def approve_request(call: Call, id: str) -> jr.ApprovalAnswer:
    from chalicelib.api.pages import public_base
    from chalicelib.services import join_decisions
    call.headers["Cache-Control"] = "no-store"
    issuer = public_base(call.request, call.deps.settings) + "/sso"
    return join_decisions.approve(call.deps, call.who, id, call.body, issuer=issuer)


@api_route(requests_api, RouteSpec(
    "POST", ONE + "/refuse", "Refuse a complete request with a reason (operators)",
    models.RequestView, request=models.RefuseBody, errors=(400, 401, 403, 404, 409),
    idempotent=True))
def refuse_request(call: Call, id: str) -> jr.RequestView:
    from chalicelib.services import join_decisions
    return join_decisions.refuse(call.deps, call.who, id, call.body)


@api_route(requests_api, RouteSpec(
    "POST", ONE + "/withdraw", "Withdraw a request not answered yet (its unit's admin)",
    models.RequestView, errors=(401, 403, 404, 409), idempotent=True))
def withdraw_request(call: Call, id: str) -> jr.RequestView:
    from chalicelib.services import join_requests as requests_service
    return requests_service.withdraw_request(call.deps, call.who, id)


@api_route(requests_api, RouteSpec(
    "GET", LETTER, "The answer letter (or the handover minutes) as a Word document; send "
    "Accept: */* or its media type (API Gateway answers binary only then)", None,
    query=FORM_QUERY, errors=(401, 403, 404, 409), media_type=DOCX_CONTENT_TYPE))
def get_letter(call: Call, id: str) -> Download:
    from chalicelib.services import join_requests as requests_service
    body, name = requests_service.letter(call.deps, call.who, id, call.query("form"))
    call.headers["Cache-Control"] = "no-store"
    return Download(body, name)
