"""edXML over REST (issue 15, R-SEND-4; docs/edxml.md): an app asks the hub whether it
accepts a package's header before sending it (`lgsp edxml inspect`, `lgsp send --edxml`).
The body is the header as XML, never the attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, QueryParam, RouteSpec, WireModels, api_route
from chalicelib.domain.edxml import XML_MEDIA_TYPES

if TYPE_CHECKING:
    from chalicelib.domain.edxml_schemas import EdxmlCheckView

models = WireModels("chalicelib.domain.edxml_schemas")

edxml_api = Blueprint(__name__)


@api_route(edxml_api, RouteSpec(
    "POST", "/v1/edxml/check", "Check an edXML package's header as the hub will: the body is "
    "the envelope with its edXMLHeader and no body (or a whole small package), at most "
    "1 MiB; answers the problems, each naming its element, the header as read and what the "
    "message will take from it. Nothing is stored.", models.EdxmlCheckView,
    query=(QueryParam("to", "A destination the app means to send the package to (a unit "
                      "code or group:<id>; repeat, or separate with commas): every To of "
                      "the header must be among them. Without it, the message takes its "
                      "destinations from the To list.", {"type": "string"}),),
    errors=(400, 401, 404, 413), idempotent=True, body_media_types=XML_MEDIA_TYPES))
def check_header(call: Call) -> EdxmlCheckView:
    from chalicelib.services import edxml_check
    params = call.request.query_params
    raw = call.request.raw_body
    return edxml_check.check(call.deps, call.who,
                             raw.encode() if isinstance(raw, str) else (raw or b""),
                             params.getlist("to") if params and "to" in params else [])
