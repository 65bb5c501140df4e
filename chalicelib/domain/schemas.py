"""Wire shapes of the exchange API (`/v1`), validated with pydantic.

The same models validate requests in the handlers and build `/openapi.json`, so the
document cannot drift from what the hub accepts. Unknown fields are refused, and request
bodies are validated in pydantic's strict mode (`chalicelib/api/http.py`): a JSON value
must have the type the document gives (`true` is not 1, `"3600"` is not 3600).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .identifiers import SLUG
from .model import Model
from .priority import Priority

HEX64 = r"^[0-9a-f]{64}$"
UNIT_CODE = r"^[0-9A-Za-z.]{3,32}$"

OutcomeName = Literal["fetched", "fetch_failed", "confirmed", "rejected", "expired",
                      "undeliverable", "waiting", "rerouted"]


class Strict(Model):
    """Base of request models: unknown fields refused (strict types: see the module doc)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_SLUGS = tuple(p.value for p in Priority)


def _slug_only(value: object) -> object:
    """The wire takes the four slugs only: the Vietnamese labels and edXML codes that
    `Priority` understands are for clients to turn into slugs (R-PROP-4)."""
    if isinstance(value, Priority) or (isinstance(value, str) and value in _SLUGS):
        return value
    raise PydanticCustomError("priority", "Input should be one of {accepted}",
                              {"accepted": ", ".join(_SLUGS)})


WirePriority = Annotated[Priority, BeforeValidator(_slug_only)]


class PartDeclaration(Strict):
    size: int = Field(gt=0, description="Bytes in this part.")
    sha256: str = Field(pattern=HEX64, description="Lower-case hex SHA-256 of the part.")


class ContentDeclaration(Strict):
    size: int = Field(ge=0, description="Total bytes of the content (0 for an empty "
                                        "document: one PUT of no bytes).")
    sha256: str = Field(pattern=HEX64, description="Lower-case hex SHA-256 of the content.")
    content_type: str = Field(default="application/octet-stream", min_length=3, max_length=127,
                              pattern=r"^[\w.+-]+/[\w.+-]+$")
    file_name: str = Field(min_length=1, max_length=255)
    parts: list[PartDeclaration] | None = Field(
        default=None, max_length=10000,
        description="Parts in order, for content above the single-upload threshold. All parts "
                    "but the last must have the same size.")


def _default_outcomes() -> list[OutcomeName]:
    return ["fetched", "fetch_failed", "confirmed", "rejected", "expired", "undeliverable",
            "waiting", "rerouted"]


class ExchangePolicy(Strict):
    confirm_within_seconds: int = Field(default=3 * 24 * 3600, ge=60, le=90 * 24 * 3600,
                                        description="Deadline for every destination to confirm.")
    notify_on: list[OutcomeName] = Field(
        default_factory=_default_outcomes,
        description="Outcomes the source wants to be told of.")
    offline_limit_seconds: int | None = Field(
        default=None, ge=60, le=90 * 24 * 3600,
        description="Warn the source (`message.waiting`) when a destination stays offline "
                    "this long while the message waits; default: the hub's setting.")


class CreateMessageRequest(Strict):
    to: list[str] = Field(min_length=1,
                          description="Destination unit codes (one or many), or "
                                      "`group:<id>` for every active member of a named group.")
    title: str = Field(min_length=1, max_length=500)
    priority: WirePriority = Priority.THUONG
    data_type: str = Field(default="document", pattern=SLUG,
                           description="What the content is: document, dossier, data, ...")
    protocol: str = Field(default="file", pattern=SLUG,
                          description="Exchange protocol / package format: file, edxml, json, ...")
    content: ContentDeclaration
    policy: ExchangePolicy = Field(default_factory=ExchangePolicy)


class CompletedPart(Strict):
    part_number: int = Field(ge=1, le=10000)
    etag: str = Field(min_length=1, max_length=256)


class CompleteRequest(Strict):
    parts: list[CompletedPart] = Field(default_factory=list, max_length=10000,
                                       description="ETags of the uploaded parts (multipart only).")


class ConfirmRequest(Strict):
    sha256: str = Field(pattern=HEX64, description="SHA-256 the destination computed.")


class RejectRequest(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class UploadRequest(Model):
    part_number: int | None
    method: str
    url: str
    headers: dict[str, str]
    offset: int
    size: int


class HeldPart(Model):
    part_number: int
    etag: str


class UploadPlan(Model):
    mode: Literal["single", "multipart"]
    expires_at: str
    requests: list[UploadRequest]
    uploaded: list[HeldPart] = Field(
        default_factory=list,
        description="Parts the store already holds with the declared size and SHA-256 (a "
                    "resumed upload): they have no request; complete with their `etag`.")


class DeliveryView(Model):
    unit: str
    state: str
    fetch_count: int = 0
    failed_fetches: int = 0
    available_at: str | None = None
    first_fetched_at: str | None = None
    confirmed_at: str | None = None
    rejected_at: str | None = None
    expired_at: str | None = None
    reason: str | None = None
    moved_to: str | None = Field(default=None, description="The successor unit whose "
                                 "delivery took over (state `moved`, R-JOIN-5)")
    addressed_to: str | None = Field(default=None, description="The unit the source "
                                     "addressed, whose delivery moved here (R-JOIN-5)")
    via: str | None = Field(default=None, description="A unit of a peer hub: the peer the "
                            "message was handed to (docs/federation.md)")


class Handover(Model):
    """A message's hand-over to one peer hub, for its units among the destinations."""

    peer: str
    units: list[str]
    state: str = Field(description="pending, accepted, refused (by the peer) or given_up "
                                   "(the deadline passed first)")
    attempts: int
    last_error: str | None = None
    accepted_at: str | None = None
    refusal: str | None = None


class TraceEvent(Model):
    at: str
    event: str
    unit: str | None = None
    detail: str | None = None


class PackageProblem(Model):
    code: str
    element: str
    message: str


class MessageView(Model):
    id: str
    source: str
    to: list[str]
    title: str
    priority: Priority
    data_type: str
    protocol: str
    state: str
    size: int
    sha256: str
    content_type: str
    file_name: str
    policy: ExchangePolicy
    created_at: str
    verified_at: str | None = None
    completed_at: str | None = None
    rerouted: dict[str, str] = Field(default_factory=dict, description="Addressed codes "
                                     "whose successors received the message (R-JOIN-5)")
    content_deleted_at: str | None = None
    confirm_by: str
    deliver_at: str | None = Field(default=None, description="Held until then: Priority 4 "
                                   "of an edXML package, express at a set time")
    problems: list[PackageProblem] = Field(
        default_factory=list, description="Why the hub refused the edXML package (state "
        "`refused`): each problem's code and element (docs/edxml.md)")
    edxml: dict[str, Any] | None = Field(
        default=None, description="The edXML document's facts the hub read from its header "
        "(document_id, code_number, code_notation, promulgation_date, organ_id, "
        "business_doc_type, ...)")


class CreateMessageResponse(Model):
    message: MessageView
    upload: UploadPlan | None = Field(
        default=None, description="Absent when the content is already verified (replay).")


class MessageStatus(Model):
    message: MessageView
    deliveries: list[DeliveryView] = Field(description="The first page of deliveries (the "
                                           "source sees every destination's, by unit code; "
                                           "a destination its own)")
    deliveries_next_cursor: str | None = Field(
        default=None, description="More deliveries: GET /v1/messages/{id}/deliveries")
    trace: list[TraceEvent] = Field(description="The first page of the trace, oldest first")
    trace_next_cursor: str | None = Field(
        default=None, description="More trace: GET /v1/messages/{id}/trace")
    handovers: list[Handover] = Field(
        default_factory=list, description="The source's view: the hand-overs to peer hubs "
        "of its remote destinations (docs/federation.md)")


class DeliveryPage(Model):
    items: list[DeliveryView]
    next_cursor: str | None = None


class TracePage(Model):
    items: list[TraceEvent]
    next_cursor: str | None = None


class InboxItem(Model):
    id: str
    source: str
    title: str
    priority: Priority
    data_type: str
    protocol: str
    size: int
    file_name: str
    content_type: str
    state: str
    available_at: str
    confirm_by: str


class InboxPage(Model):
    items: list[InboxItem]
    next_cursor: str | None = None


class OutboxItem(Model):
    id: str
    to: list[str]
    title: str
    priority: Priority
    state: str
    created_at: str


class OutboxPage(Model):
    items: list[OutboxItem]
    next_cursor: str | None = None


class FetchGrant(Model):
    method: str
    url: str
    headers: dict[str, str]
    expires_at: str
    size: int
    sha256: str
    file_name: str
    content_type: str


class WhoAmI(Model):
    unit: str
    app: str
    key_id: str
    algorithm: str
    person: str | None = Field(default=None, description="The person's account, when the "
                               "call carries their SSO token (algorithm `bearer`)")
    roles: list[str] = Field(default_factory=list, description="The person's roles")


class ServerTime(Model):
    epoch: int
    iso: str


class Health(Model):
    status: Literal["ok"]
    version: str
    websocket_url: str | None = None


class Readiness(Model):
    status: Literal["ready"]
    version: str
    table: Literal["ok"]
    store: Literal["ok"]


class ErrorBody(Model):
    code: str
    message: str
    safe_to_retry: bool | None = Field(
        default=None, description="500 only: whether repeating the call is safe; when not, "
                                  "the message says what to check first")


class ErrorResponse(Model):
    error: ErrorBody
