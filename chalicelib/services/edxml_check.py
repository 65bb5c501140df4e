"""Checking an edXML header for an app before it sends (docs/edxml.md "Checking a header").

The client cuts the header out of its package (attachments never leave the machine) and
the hub answers with its own reader and rules, so there is one set of rules: the
structure (`rules.problems`, header only: the body and attachments were left behind),
the rules that depend on the caller (`rules.against_message`: `From` is the caller's own
unit; every `To` among the destinations it means, when it names them), and the values the
message will take (`values.message_values`). Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.domain import identifiers
from chalicelib.domain.edxml.models import Package, Problem
from chalicelib.domain.edxml.reader import UnreadablePackageError, read_package
from chalicelib.domain.edxml.rules import (
    BUSINESS_DOC_TYPES,
    PRIORITIES,
    STEERING_TYPES,
    against_message,
    problems,
)
from chalicelib.domain.edxml.values import MessageValues, message_values
from chalicelib.domain.edxml_schemas import (
    MAX_CHECK_BYTES,
    EdxmlAttachmentView,
    EdxmlCheckView,
    EdxmlHeaderView,
    EdxmlMessageValues,
    EdxmlOrganView,
    EdxmlProblemView,
)
from chalicelib.domain.errors import InvalidRequestError, PayloadTooLargeError
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services.deps import Deps

CHUNK = 64 * 1024
GROUP_PREFIX = "group:"


def check(deps: Deps, caller: Caller, document: bytes,
          to: list[str] | None = None) -> EdxmlCheckView:
    """The hub's answer on `document` (a package's header, or a whole small package) for
    the caller's unit; `to`: the destinations the app means (codes or `group:<id>`, each
    entry possibly several separated by commas); none: taken from the To list."""
    to = [code.strip() for entry in to or () for code in entry.split(",") if code.strip()]
    if not document.strip():
        raise InvalidRequestError("The body is empty: send the package's header (the edXML "
                                  "envelope with its edXMLHeader) as application/xml.",
                                  code="validation_failed")
    if len(document) > MAX_CHECK_BYTES:
        raise PayloadTooLargeError(
            f"The document has {len(document):,} bytes; a header is checked up to "
            f"{MAX_CHECK_BYTES:,} (1 MiB). Send the header without the attachments "
            "(lgsp edxml inspect cuts it out).", code="edxml_header_too_large",
            limit=MAX_CHECK_BYTES)
    destinations = _destinations(deps, to) if to else None  # 4xx before reading anything
    try:
        package = read_package(_chunks(document))
    except UnreadablePackageError as exc:
        raise _unreadable(exc.problem) from exc
    found = problems(package, header_only=True)
    found += against_message(package, caller.unit, destinations)
    values = None if found else message_values(package)
    return EdxmlCheckView(valid=not found, problems=[
        EdxmlProblemView(code=p.code, element=p.path, message=p.message) for p in found],
        header=header_view(package), message=_message(values))


def _chunks(document: bytes) -> Iterator[bytes]:
    for start in range(0, len(document), CHUNK):
        yield document[start:start + CHUNK]


def _destinations(deps: Deps, entries: list[str]) -> list[str]:
    """The units meant, groups expanded to their active members (as a send does)."""
    from chalicelib.services import groups

    limit = deps.settings.max_destinations
    if len(entries) > limit:
        raise InvalidRequestError(f"At most {limit} destinations per message "
                                  f"({len(entries)}).", code="too_many_destinations",
                                  limit=limit)
    identifiers.check_destinations(entries)
    units: list[str] = []
    for entry in entries:
        is_group = entry.startswith(GROUP_PREFIX)
        units += groups.resolve_group(deps, entry.removeprefix(GROUP_PREFIX)) \
            if is_group else [entry]
    return units


def _unreadable(problem: Problem) -> InvalidRequestError:
    """A document the hub will not read: 400 with the edXML problem's code and element."""
    where = {"element": problem.path}
    if problem.code == "edxml_unsafe_xml":
        return InvalidRequestError(problem.message, code="edxml_unsafe_xml", **where)
    if problem.code == "edxml_limit_exceeded":
        return InvalidRequestError(problem.message, code="edxml_limit_exceeded", **where)
    return InvalidRequestError(problem.message, code="edxml_not_well_formed", **where)


def header_view(package: Package) -> EdxmlHeaderView:
    """The header as read, each element's text (None when absent), coded values named."""
    h = package.header
    other = h.other_info if h else None
    info = h.promulgation_info if h else None
    kind = h.document_type if h else None
    business = package.trace_header_list.bussiness if package.trace_header_list else None
    priority = other.priority if other else None
    steering = h.steering_type if h else None
    doc_type = business.bussiness_doc_type if business else None
    return EdxmlHeaderView(
        sender=EdxmlOrganView(organ_id=h.from_.organ_id, organ_name=h.from_.organ_name)
        if h and h.from_ else None,
        to=[EdxmlOrganView(organ_id=t.organ_id, organ_name=t.organ_name)
            for t in (h.to if h else ())],
        code_number=h.code.code_number if h and h.code else None,
        code_notation=h.code.code_notation if h and h.code else None,
        subject=h.subject if h else None,
        document_type=kind.type if kind else None,
        document_type_name=kind.type_name if kind else None,
        place=info.place if info else None,
        promulgation_date=info.promulgation_date if info else None,
        due_date=h.due_date if h else None,
        priority=priority, priority_name=PRIORITIES.get(priority or ""),
        steering_type=steering, steering_type_name=STEERING_TYPES.get(steering or ""),
        document_id=h.document_id if h else None,
        business_doc_type=doc_type,
        business_doc_type_name=BUSINESS_DOC_TYPES.get(doc_type or ""),
        business_doc_reason=business.bussiness_doc_reason if business else None,
        attachments=[EdxmlAttachmentView(content_id=a.content_id, name=a.name,
                                         content_type=a.content_type, size=a.size,
                                         sha256=a.sha256) for a in package.attachments])


def _message(values: MessageValues | None) -> EdxmlMessageValues | None:
    if values is None:
        return None
    return EdxmlMessageValues(
        title=values.title, priority=values.priority,
        deliver_at=iso(int(values.deliver_at.timestamp())) if values.deliver_at else None,
        deadline=iso(int(values.deadline.timestamp())) if values.deadline else None,
        destinations=list(values.destinations))
