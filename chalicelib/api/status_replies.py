"""Status replies over REST (edXML status codes; docs/edxml.md "Status replies"): a
message's destination answers it, its source asks for a recall, either reads the replies,
and one reply downloads as an edXML status package. Thin handlers over
`chalicelib/services/status_replies.py`.

Registering this blueprint also declares `application/xml` binary (`app.api.binary_types`),
so chalice base64-encodes the package for API Gateway and the local gateway decodes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.api.exports import BinaryBlueprint
from chalicelib.api.http import PAGING, Call, Download, RouteSpec, WireModels, api_route, page_limit

if TYPE_CHECKING:
    from chalicelib.domain.status_reply_schemas import StatusReplyPage, StatusReplyView

models = WireModels("chalicelib.domain.status_reply_schemas")

XML = "application/xml"
REPLIES = "/v1/messages/{message_id}/status-replies"


status_replies_api = BinaryBlueprint(__name__, XML)


@api_route(status_replies_api, RouteSpec(
    "POST", REPLIES, "Answer a message with an edXML status code (its destinations: 01-06, "
    "and 15/16 to a recall or update; its source: 13, recall requested)", models.StatusReplyView,
    status=201, request=models.StatusReplyRequest, errors=(400, 401, 404, 409), idempotent=True))
def send_reply(call: Call, message_id: str) -> StatusReplyView:
    from chalicelib.services import status_replies
    replied = status_replies.reply(call.deps, call.who, message_id, call.body.code,
                                   call.body.comment)
    if replied.replayed:
        call.status = 200
    call.headers["Location"] = f"/v1/messages/{message_id}/status-replies/{replied.view.id}"
    return replied.view


@api_route(status_replies_api, RouteSpec(
    "GET", REPLIES, "The message's status replies, oldest first (the source: every reply, "
    "paged; a destination: its own and the source's)", models.StatusReplyPage, query=PAGING,
    errors=(400, 401, 404)))
def list_replies(call: Call, message_id: str) -> StatusReplyPage:
    from chalicelib.services import status_replies
    return status_replies.list_replies(call.deps, call.who, message_id,
                                       limit=page_limit(call), cursor=call.query("cursor"))


@api_route(status_replies_api, RouteSpec(
    "GET", REPLIES + "/{reply_id}/edxml", "One status reply as an edXML status package "
    "(QCVN 102)", None, media_type=XML, errors=(401, 404)))
def reply_package(call: Call, message_id: str, reply_id: str) -> Download:
    from chalicelib.services import status_replies
    body, name = status_replies.status_package_of(call.deps, call.who, message_id, reply_id)
    return Download(body=body, file_name=name)
