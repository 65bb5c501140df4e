"""The QCVN 102 rules for an edXML package, as problems that each name their element.

`problems(package)` checks the structure (docs/edxml.md lists every rule with its code);
`against_message(package, sender_unit, destinations)` checks the package against the
message it travels in. Both return every problem found, in document order, never raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import InvalidRequestError
from ..identifiers import parse as parse_unit_code
from .dates import parse_date, parse_time
from .models import (
    Organization,
    Package,
    Problem,
    TraceHeaderList,
    content_key,
)
from .xmltree import NAMESPACE

MISSING, INVALID, MISMATCH = ("edxml_missing_element", "edxml_invalid_value",
                              "edxml_manifest_mismatch")
MAX_SUBJECT_CHARS = 500
BODY = "edXMLEnvelope/edXMLBody"
PRIORITIES = {"0": "Thường", "1": "Khẩn", "2": "Thượng khẩn", "3": "Hỏa tốc",
              "4": "Hỏa tốc hẹn giờ"}
STEERING_TYPES = {"0": "not a directive", "1": "a directive (chỉ đạo)",
                  "2": "a report to a superior (báo cáo)"}
BUSINESS_DOC_TYPES = {"0": "new", "1": "recall", "2": "update", "3": "replace"}
_DOCUMENT_ID = re.compile(r"^([^,]+),(\d{4}/\d{2}/\d{2}),([^,/]+/[^,]+)$")


class Found:
    """The problems found so far, with helpers for the usual ones."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.items.append(Problem(code, path, message))

    def present(self, path: str, value: object) -> bool:
        """True when the element has a value; else a missing-element problem."""
        if value is None or value in ("", ()):
            self.add(MISSING, path, f"{path} is missing (or empty): it is required")
            return False
        return True

    def one_of(self, path: str, value: str | None, allowed: dict[str, str]) -> None:
        if self.present(path, value) and value not in allowed:
            listed = ", ".join(f"{k} {v}" for k, v in allowed.items())
            self.add(INVALID, path, f"{path} is '{value}', not one of: {listed}")

    def unit_code(self, path: str, value: str | None) -> bool:
        if not self.present(path, value):
            return False
        try:
            parse_unit_code(str(value))
        except InvalidRequestError as exc:
            self.add(INVALID, path, f"{path}: {exc.message}")
            return False
        return True


def problems(package: Package, *, header_only: bool = False) -> list[Problem]:
    """Every structural problem of the package, each naming its element.

    `header_only`: the document is a package's header cut from it (`POST /v1/edxml/check`,
    `lgsp edxml inspect`): the body and the attachments were left behind, so their absence
    is no problem; whatever of them is present is checked as usual. A stored package is
    checked whole (the default): it needs its `edXMLBody`."""
    found = Found()
    if package.namespace != NAMESPACE:
        found.add(INVALID, "edXML", f"the root element's namespace is "
                  f"'{package.namespace}', not the edXML namespace '{NAMESPACE}'")
    for path in package.missing:
        found.add(MISSING, path, f"{path} is missing: the package has no {path.split('/')[-1]}")
    if not package.has_body and not header_only:
        found.add(MISSING, BODY, f"{BODY} is missing: a package has a body (its manifest, "
                  "empty when it carries no attachment)")
    if package.header is not None:
        _header(package, found)
    if package.trace_header_list is not None:
        _traces(package.trace_header_list, found)
    _manifest(package, found, attachments_left_behind=header_only and not package.attachments)
    return found.items


def _organization(found: Found, path: str, org: Organization | None, *,
                  named: bool) -> None:
    if not found.present(path, org) or org is None:
        return
    found.unit_code(f"{path}/OrganId", org.organ_id)
    if named:
        found.present(f"{path}/OrganName", org.organ_name)


def _header(package: Package, found: Found) -> None:
    h = package.header
    assert h is not None
    _organization(found, "MessageHeader/From", h.from_, named=True)
    if found.present("MessageHeader/To", h.to):
        for n, to in enumerate(h.to):
            _organization(found, f"MessageHeader/To[{n}]", to, named=False)
    if found.present("MessageHeader/Code", h.code) and h.code:
        found.present("MessageHeader/Code/CodeNumber", h.code.code_number)
        found.present("MessageHeader/Code/CodeNotation", h.code.code_notation)
    info = h.promulgation_info
    if found.present("MessageHeader/PromulgationInfo", info) and info:
        found.present("MessageHeader/PromulgationInfo/Place", info.place)
        _date(found, "MessageHeader/PromulgationInfo/PromulgationDate",
              info.promulgation_date, required=True)
    kind = h.document_type
    if found.present("MessageHeader/DocumentType", kind) and kind:
        if found.present("MessageHeader/DocumentType/Type", kind.type) \
                and not str(kind.type).isdigit():
            found.add(INVALID, "MessageHeader/DocumentType/Type",
                      f"MessageHeader/DocumentType/Type is '{kind.type}', not a number")
        found.present("MessageHeader/DocumentType/TypeName", kind.type_name)
    if found.present("MessageHeader/Subject", h.subject) \
            and len(str(h.subject)) > MAX_SUBJECT_CHARS:
        found.add(INVALID, "MessageHeader/Subject", f"MessageHeader/Subject has "
                  f"{len(str(h.subject))} characters; at most {MAX_SUBJECT_CHARS} are allowed")
    _priority_and_due(package, found)
    found.one_of("MessageHeader/SteeringType", h.steering_type, STEERING_TYPES)
    _document_id(found, h.document_id, h.from_.organ_id if h.from_ else None)


def _date(found: Found, path: str, text: str | None, *, required: bool) -> None:
    if text is None and not required or not found.present(path, text):
        return
    if parse_date(text) is None and parse_time(text) is None:
        found.add(INVALID, path, f"{path} is '{text}', not a date (yyyy/MM/dd) or a time "
                                 "(yyyy/MM/dd HH:mm:ss)")


def _priority_and_due(package: Package, found: Found) -> None:
    h = package.header
    assert h is not None
    priority = h.other_info.priority if h.other_info else None
    found.one_of("MessageHeader/OtherInfo/Priority", priority, PRIORITIES)
    _date(found, "MessageHeader/DueDate", h.due_date, required=False)
    if priority == "4" and found.present("MessageHeader/DueDate", h.due_date) \
            and parse_date(h.due_date) is not None:
        found.add(INVALID, "MessageHeader/DueDate", f"MessageHeader/DueDate is "
                  f"'{h.due_date}', a date without a time: Priority 4 (Hỏa tốc hẹn giờ) is "
                  "delivered at the time DueDate gives (yyyy/MM/dd HH:mm:ss)")


def _document_id(found: Found, text: str | None, sender: str | None) -> None:
    path = "MessageHeader/DocumentId"
    if not found.present(path, text):
        return
    match = _DOCUMENT_ID.match(str(text))
    if match is None or parse_date(match.group(2)) is None:
        found.add(INVALID, path, f"{path} is '{text}', not "
                  "'{senderOrganId},{yyyy/MM/dd},{number/notation}' "
                  "(e.g. 000.00.00.H30,2026/11/30,1234/QĐ-UBND)")
        return
    organ = match.group(1)
    if found.unit_code(path, organ) and sender is not None and organ != sender:
        found.add(INVALID, path, f"{path} starts with the organ id '{organ}', but "
                  f"MessageHeader/From/OrganId is '{sender}': the sender numbers its own "
                  "documents")


def _traces(traces: TraceHeaderList, found: Found) -> None:
    for n, trace in enumerate(traces.trace_headers):
        path = f"TraceHeaderList/TraceHeader[{n}]"
        found.unit_code(f"{path}/OrganId", trace.organ_id)
        if found.present(f"{path}/Timestamp", trace.timestamp) \
                and parse_time(trace.timestamp) is None:
            found.add(INVALID, f"{path}/Timestamp", f"{path}/Timestamp is "
                      f"'{trace.timestamp}', not a time (yyyy/MM/dd HH:mm:ss or ISO 8601)")
    business = traces.bussiness
    if not found.present("TraceHeaderList/Bussiness", business) or business is None:
        return
    kind = business.bussiness_doc_type
    found.one_of("TraceHeaderList/Bussiness/BussinessDocType", kind, BUSINESS_DOC_TYPES)
    if kind in ("1", "2", "3"):
        path = "TraceHeaderList/Bussiness/BussinessDocReason"
        if not business.bussiness_doc_reason:
            found.add(MISSING, path, f"{path} is missing: a {BUSINESS_DOC_TYPES[kind]} "
                      f"(BussinessDocType {kind}) says why")


def _manifest(package: Package, found: Found, *, attachments_left_behind: bool) -> None:
    if not package.has_manifest:
        found.add(MISSING, "edXMLBody/edXMLManifest", "edXMLBody/edXMLManifest is missing "
                  "but the package carries attachments: each needs its Reference")
    by_id: dict[str, int] = {}
    for n, ref in enumerate(package.references):
        path = f"edXMLManifest/Reference[{n}]"
        if not found.present(f"{path}/ContentId", ref.content_id):
            continue
        key = content_key(ref.content_id)
        if key in by_id:
            found.add(MISMATCH, f"{path}/ContentId", f"{path}/ContentId '{ref.content_id}' "
                      f"repeats Reference[{by_id[key]}]'s")
        by_id.setdefault(key, n)
    seen: set[str] = set()
    for n, att in enumerate(package.attachments):
        path = f"AttachmentEncoded/Attachment[{n}]"
        key = content_key(att.content_id)
        seen.add(key)
        if att.base64_error:
            found.add(INVALID, path, f"{path} ('{att.content_id}'): {att.base64_error}")
        if key not in by_id:
            found.add(MISMATCH, path, f"{path} has ContentId '{att.content_id}', which no "
                      "edXMLManifest/Reference announces")
            continue
        ref = package.references[by_id[key]]
        for what, ours, theirs in (("AttachmentName", att.name, ref.attachment_name),
                                   ("ContentType", att.content_type, ref.content_type)):
            if theirs is not None and ours != theirs:
                found.add(MISMATCH, path, f"{path} has {what} '{ours}' but its "
                          f"Reference[{by_id[key]}] says '{theirs}'")
    for key, n in by_id.items():
        if key not in seen and not attachments_left_behind:
            found.add(MISMATCH, f"edXMLManifest/Reference[{n}]/ContentId",
                      f"edXMLManifest/Reference[{n}]/ContentId announces "
                      f"'{package.references[n].content_id}' but no attachment has it")


def against_message(package: Package, sender_unit: str,
                    destinations: Iterable[str] | None) -> list[Problem]:
    """The package against its message: `From` is the sender's own unit, and every `To`
    is among the message's destinations (unit codes, groups already expanded). With
    `destinations` None the message takes them from the To list (`values.destinations`),
    so only the sender is checked."""
    found = Found()
    h = package.header
    sender = h.from_.organ_id if h and h.from_ else None
    if sender != sender_unit:
        found.add("edxml_not_sender", "MessageHeader/From/OrganId",
                  f"MessageHeader/From/OrganId is '{sender}', but the message is sent by "
                  f"'{sender_unit}': a unit sends only its own documents")
    if destinations is not None and h is not None:
        allowed = set(destinations)
        for n, to in enumerate(h.to):
            if to.organ_id not in allowed:
                found.add("edxml_not_a_destination", f"MessageHeader/To[{n}]/OrganId",
                          f"MessageHeader/To[{n}]/OrganId '{to.organ_id}' is not among "
                          "the message's destinations")
    return found.items
