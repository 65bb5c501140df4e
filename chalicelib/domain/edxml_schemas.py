"""The answer of `POST /v1/edxml/check` (docs/edxml.md "Checking a header"): whether the
hub accepts a package's header, every problem naming its element, the header as read,
and what the hub will set on the message that carries the package.

The request is the header itself as XML (`application/xml`), not a JSON model: the
envelope with the header and no body, or a whole small package, at most
`MAX_CHECK_BYTES`; the destinations the app means to send to come as `to` query
parameters."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from .model import Model
from .schemas import WirePriority

MAX_CHECK_BYTES = 1024 * 1024  # a real header is a few KiB; attachments never come here


class EdxmlProblemView(Model):
    code: str = Field(description="edxml_missing_element, edxml_invalid_value, "
                                  "edxml_manifest_mismatch, edxml_not_sender, "
                                  "edxml_not_a_destination (docs/edxml.md)")
    element: str = Field(description="The element's path, e.g. MessageHeader/Code/CodeNumber")
    message: str = Field(description="What is wrong, naming the element (English)")


class EdxmlOrganView(Model):
    organ_id: str | None = Field(description="The unit's code (OrganId)")
    organ_name: str | None = None


class EdxmlAttachmentView(Model):
    """An attachment of a whole package sent to the check (a header has none)."""

    content_id: str | None
    name: str | None
    content_type: str | None
    size: int = Field(description="Decoded bytes")
    sha256: str = Field(description="Of the decoded bytes, hex")


class EdxmlHeaderView(Model):
    """The header as read: each element's text, null when absent; coded values with
    their meaning (`priority_name`...)."""

    model_config = ConfigDict(defer_build=True, serialize_by_alias=True,
                              validate_by_name=True)

    sender: EdxmlOrganView | None = Field(alias="from", description="MessageHeader/From")
    to: list[EdxmlOrganView] = Field(description="MessageHeader/To, in order")
    code_number: str | None
    code_notation: str | None
    subject: str | None
    document_type: str | None = Field(description="DocumentType/Type (a number)")
    document_type_name: str | None = Field(description="DocumentType/TypeName")
    place: str | None = Field(description="PromulgationInfo/Place")
    promulgation_date: str | None
    due_date: str | None
    priority: str | None = Field(description="OtherInfo/Priority, 0-4")
    priority_name: str | None = Field(description="Thường, Khẩn, Thượng khẩn, Hỏa tốc, "
                                                  "Hỏa tốc hẹn giờ")
    steering_type: str | None
    steering_type_name: str | None
    document_id: str | None
    business_doc_type: str | None = Field(description="TraceHeaderList/Bussiness/"
                                                      "BussinessDocType, 0-3")
    business_doc_type_name: str | None = Field(description="new, recall, update, replace")
    business_doc_reason: str | None
    attachments: list[EdxmlAttachmentView] = Field(
        description="Of a whole package sent; empty for a header")


class EdxmlMessageValues(Model):
    """What the hub sets on the message that carries this package (from the header)."""

    title: str = Field(description="Subject")
    priority: WirePriority = Field(description="The hub's priority; edXML 4 (Hỏa tốc hẹn "
                                               "giờ) is hoa_toc held until deliver_at")
    deliver_at: str | None = Field(description="Priority 4 only: not delivered before "
                                               "(ISO 8601, UTC)")
    deadline: str | None = Field(description="DueDate (a date: the end of that day in "
                                             "Vietnam), ISO 8601 UTC")
    destinations: list[str] = Field(description="The To list's units, each once: the "
                                                "message's `to` when it names none")


class EdxmlCheckView(Model):
    valid: bool = Field(description="No problem: a message carrying this package passes "
                                    "the hub's header check")
    problems: list[EdxmlProblemView]
    header: EdxmlHeaderView
    message: EdxmlMessageValues | None = Field(description="Null unless valid")
