"""Between the kept element tree and the typed models, both ways: the reader turns a
`MessageHeader`, `TraceHeaderList` and `edXMLManifest` into models, the writer turns models
into elements. One table per element group, so both directions spell each element once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .models import (
    Bussiness,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Reference,
    SignerInfo,
    StaffInfo,
    TraceHeader,
    TraceHeaderList,
)
from .xmltree import Node

T = TypeVar("T")
Fields = tuple[tuple[str, str], ...]
Element = tuple[str, "str | list[Element]"]  # a name and its text or children

ORGANIZATION: Fields = (
    ("OrganId", "organ_id"), ("OrganizationInCharge", "organization_in_charge"),
    ("OrganName", "organ_name"), ("OrganAdd", "organ_add"), ("Email", "email"),
    ("Telephone", "telephone"), ("Fax", "fax"), ("Website", "website"))
CODE: Fields = (("CodeNumber", "code_number"), ("CodeNotation", "code_notation"))
PROMULGATION: Fields = (("Place", "place"), ("PromulgationDate", "promulgation_date"))
DOCUMENT_TYPE: Fields = (("Type", "type"), ("TypeName", "type_name"),
                         ("TypeDetail", "type_detail"))
SIGNER: Fields = (("Competence", "competence"), ("Position", "position"),
                  ("FullName", "full_name"))
OTHER: Fields = (
    ("Priority", "priority"), ("SphereOfPromulgation", "sphere_of_promulgation"),
    ("TyperNotation", "typer_notation"), ("PromulgationAmount", "promulgation_amount"),
    ("PageAmount", "page_amount"))
TRACE: Fields = (("OrganId", "organ_id"), ("Timestamp", "timestamp"))
STAFF: Fields = (("Department", "department"), ("Staff", "staff"), ("Mobile", "mobile"),
                 ("Email", "email"))
REFERENCE: Fields = (("ContentId", "content_id"), ("ContentType", "content_type"),
                     ("AttachmentName", "attachment_name"), ("Description", "description"))


def leaves(node: Node | None, build: Callable[..., T], fields: Fields,
           **more: Any) -> T | None:
    """The model of a group of text elements, or None when the group is absent."""
    if node is None:
        return None
    return build(**{attr: node.text_of(name) for name, attr in fields}, **more)


def _texts(node: Node | None, name: str) -> tuple[str, ...]:
    return () if node is None else tuple(c.text for c in node.all(name))


def read_header(node: Node) -> MessageHeader:
    other = node.child("OtherInfo")
    return MessageHeader(
        from_=leaves(node.child("From"), Organization, ORGANIZATION),
        to=tuple(leaves(n, Organization, ORGANIZATION) or Organization()
                 for n in node.all("To")),
        code=leaves(node.child("Code"), Code, CODE),
        promulgation_info=leaves(node.child("PromulgationInfo"), PromulgationInfo,
                                 PROMULGATION),
        document_type=leaves(node.child("DocumentType"), DocumentType, DOCUMENT_TYPE),
        subject=node.text_of("Subject"), content=node.text_of("Content"),
        signer_info=leaves(node.child("SignerInfo"), SignerInfo, SIGNER),
        due_date=node.text_of("DueDate"),
        to_places=_texts(node.child("ToPlaces"), "Place"),
        other_info=leaves(other, OtherInfo, OTHER,
                          appendixes=_texts(other and other.child("Appendixes"), "Appendix")),
        steering_type=node.text_of("SteeringType"), document_id=node.text_of("DocumentId"))


def read_traces(node: Node) -> TraceHeaderList:
    business = node.child("Bussiness")
    return TraceHeaderList(
        trace_headers=tuple(leaves(n, TraceHeader, TRACE) or TraceHeader()
                            for n in node.all("TraceHeader")),
        bussiness=leaves(business, Bussiness, (
            ("BussinessDocType", "bussiness_doc_type"),
            ("BussinessDocReason", "bussiness_doc_reason"), ("Paper", "paper")),
            staff_info=leaves(business and business.child("StaffInfo"), StaffInfo, STAFF)))


def read_references(manifest: Node) -> tuple[Reference, ...]:
    return tuple(leaves(n, Reference, REFERENCE) or Reference()
                 for n in manifest.all("Reference"))


# -- models to elements (the writer) ---------------------------------------------------


def elements(obj: object | None, fields: Fields) -> list[Element]:
    """The group's present values as elements, in the table's order."""
    if obj is None:
        return []
    return [(name, value) for name, attr in fields
            if (value := getattr(obj, attr)) is not None]


def _group(name: str, obj: object | None, fields: Fields) -> list[Element]:
    return [] if obj is None else [(name, elements(obj, fields))]


def _text(name: str, value: str | None) -> list[Element]:
    return [] if value is None else [(name, value)]


def _list(name: str, item: str, values: tuple[str, ...]) -> list[Element]:
    children: list[Element] = [(item, v) for v in values]
    return [(name, children)] if values else []


def header_element(h: MessageHeader) -> Element:
    other: list[Element] = []
    if h.other_info is not None:
        other = [("OtherInfo", elements(h.other_info, OTHER)
                  + _list("Appendixes", "Appendix", h.other_info.appendixes))]
    return ("MessageHeader", [
        *_group("From", h.from_, ORGANIZATION),
        *[("To", elements(t, ORGANIZATION)) for t in h.to],
        *_group("Code", h.code, CODE),
        *_group("PromulgationInfo", h.promulgation_info, PROMULGATION),
        *_group("DocumentType", h.document_type, DOCUMENT_TYPE),
        *_text("Subject", h.subject), *_text("Content", h.content),
        *_group("SignerInfo", h.signer_info, SIGNER),
        *_text("DueDate", h.due_date),
        *_list("ToPlaces", "Place", h.to_places),
        *other,
        *_text("SteeringType", h.steering_type), *_text("DocumentId", h.document_id)])


def traces_element(t: TraceHeaderList) -> Element:
    children: list[Element] = [("TraceHeader", elements(x, TRACE)) for x in t.trace_headers]
    b = t.bussiness
    if b is not None:
        children.append(("Bussiness", [
            *_text("BussinessDocType", b.bussiness_doc_type),
            *_text("BussinessDocReason", b.bussiness_doc_reason),
            *_group("StaffInfo", b.staff_info, STAFF), *_text("Paper", b.paper)]))
    return ("TraceHeaderList", children)


def manifest_element(references: list[Reference]) -> Element:
    return ("edXMLManifest", [("Reference", elements(r, REFERENCE)) for r in references])
