"""Status packages: a destination's answer to a document (the national document axis).

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:edXML="…">
      <edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:Status>
        <edXML:ResponseFor>  the document's From OrganId, Code (CodeNumber, CodeNotation),
                             PromulgationDate and DocumentId
        <edXML:From>         the answering unit (OrganId, OrganName)
        <edXML:StatusCode>03</edXML:StatusCode>
        <edXML:Description>…</edXML:Description>
        <edXML:Timestamp>2026/12/01 09:30:00</edXML:Timestamp>
        <edXML:StaffInfo>    Department, Staff, Mobile, Email
      </edXML:Status></edXML:edXMLHeader></edXML:edXMLEnvelope>
    </edXML>

Read with the same safe reader as packages; `status_problems` refuses a code outside
`StatusCode`, naming it, and `render_status` renders only a reply without problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .dates import parse_time
from .header import CODE, ORGANIZATION, STAFF, Element, elements, leaves
from .models import Code, Organization, Problem, StaffInfo
from .rules import MISSING, Found
from .writer import render
from .xmltree import NAMESPACE, TreeReader

INVALID_STATUS = "edxml_invalid_status_code"


class StatusCode(StrEnum):
    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    IN_PROGRESS = "05"
    COMPLETED = "06"
    RECALL_REQUESTED = "13"
    RECALL_OR_UPDATE_ACCEPTED = "15"
    RECALL_OR_UPDATE_REFUSED = "16"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    StatusCode.ARRIVED: "arrived (đã đến)", StatusCode.REJECTED: "rejected (từ chối)",
    StatusCode.ACCEPTED: "accepted (tiếp nhận)", StatusCode.ASSIGNED: "assigned (phân công)",
    StatusCode.IN_PROGRESS: "in progress (đang xử lý)",
    StatusCode.COMPLETED: "completed (hoàn thành)",
    StatusCode.RECALL_REQUESTED: "recall requested (đề nghị thu hồi)",
    StatusCode.RECALL_OR_UPDATE_ACCEPTED: "recall/update accepted (đồng ý thu hồi/cập nhật)",
    StatusCode.RECALL_OR_UPDATE_REFUSED: "recall/update refused (từ chối thu hồi/cập nhật)",
}


@dataclass(frozen=True)
class ResponseFor:
    organ_id: str | None = None  # the document's From
    code: Code | None = None
    promulgation_date: str | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class StatusReply:
    response_for: ResponseFor | None
    from_: Organization | None
    status_code: str | None
    description: str | None = None
    timestamp: str | None = None
    staff_info: StaffInfo | None = None

    @property
    def code(self) -> StatusCode | None:
        return StatusCode(self.status_code) if self.status_code in _CODES else None


_CODES = {c.value for c in StatusCode}


class InvalidStatusError(ValueError):
    """A reply with problems was asked to be rendered."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def status_problems(reply: StatusReply) -> list[Problem]:
    found = Found()
    for_ = reply.response_for
    if found.present("Status/ResponseFor", for_) and for_ is not None:
        found.unit_code("Status/ResponseFor/OrganId", for_.organ_id)
        found.present("Status/ResponseFor/DocumentId", for_.document_id)
    if found.present("Status/From", reply.from_) and reply.from_ is not None:
        found.unit_code("Status/From/OrganId", reply.from_.organ_id)
    if found.present("Status/StatusCode", reply.status_code) and reply.code is None:
        listed = ", ".join(f"{c.value} {c.meaning}" for c in StatusCode)
        found.add(INVALID_STATUS, "Status/StatusCode", f"Status/StatusCode "
                  f"'{reply.status_code}' is not a status code; the codes are: {listed}")
    found.present("Status/Timestamp", reply.timestamp)
    if reply.timestamp and parse_time(reply.timestamp) is None:
        found.add("edxml_invalid_value", "Status/Timestamp", f"Status/Timestamp is "
                  f"'{reply.timestamp}', not a time (yyyy/MM/dd HH:mm:ss or ISO 8601)")
    return found.items


def render_status(reply: StatusReply) -> bytes:
    """The reply as a status package (InvalidStatusError if it has problems)."""
    trouble = status_problems(reply)
    if trouble:
        raise InvalidStatusError(trouble)
    for_ = reply.response_for or ResponseFor()
    children: list[Element] = [
        ("ResponseFor", [*_opt("OrganId", for_.organ_id),
                         *([("Code", elements(for_.code, CODE))] if for_.code else []),
                         *_opt("PromulgationDate", for_.promulgation_date),
                         *_opt("DocumentId", for_.document_id)]),
        ("From", elements(reply.from_, ORGANIZATION)),
        *_opt("StatusCode", reply.status_code), *_opt("Description", reply.description),
        *_opt("Timestamp", reply.timestamp)]
    if reply.staff_info is not None:
        children.append(("StaffInfo", elements(reply.staff_info, STAFF)))
    body = render(("Status", children))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NAMESPACE}" '
            f'xmlns:edXML="{NAMESPACE}"><edXML:edXMLEnvelope><edXML:edXMLHeader>{body}'
            "</edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>\n").encode()


def _opt(name: str, value: str | None) -> list[Element]:
    return [] if value is None else [(name, value)]


def read_status(chunks: Iterable[bytes]) -> tuple[StatusReply, list[Problem]]:
    """A status package read as safely as any package (UnreadablePackageError if unsafe or
    broken), with its problems."""
    reader = TreeReader()
    for chunk in chunks:
        reader.feed(chunk)
    root, _, _ = reader.close()
    envelope = root.child("edXMLEnvelope")
    head = envelope.child("edXMLHeader") if envelope else None
    node = head.child("Status") if head else None
    if node is None:
        return StatusReply(None, None, None), [Problem(
            MISSING, "Status", "Status is missing: the package is not a status package "
            "(edXML › edXMLEnvelope › edXMLHeader › Status)")]
    for_node = node.child("ResponseFor")
    reply = StatusReply(
        response_for=None if for_node is None else ResponseFor(
            organ_id=for_node.text_of("OrganId"),
            code=leaves(for_node.child("Code"), Code, CODE),
            promulgation_date=for_node.text_of("PromulgationDate"),
            document_id=for_node.text_of("DocumentId")),
        from_=leaves(node.child("From"), Organization, ORGANIZATION),
        status_code=node.text_of("StatusCode"), description=node.text_of("Description"),
        timestamp=node.text_of("Timestamp"),
        staff_info=leaves(node.child("StaffInfo"), StaffInfo, STAFF))
    return reply, status_problems(reply)
