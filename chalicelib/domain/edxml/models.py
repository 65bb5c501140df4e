"""The edXML package as the hub reads and writes it (QCVN 102:2016/BTTTT): plain typed models.

Every value is kept as the text the package carries (`None` when the element is absent), so
a package that breaks a rule can still be read and each problem named by `rules.problems`;
the typed readings (dates, priority) are made there. Field order follows the element order
of the published structure, which the writer keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: a stable `code`, the element's `path`
    (`MessageHeader/Code/CodeNumber`) and a human `message` naming it."""

    code: str
    path: str
    message: str


@dataclass(frozen=True)
class Organization:
    """`From` or one `To`: the unit (`OrganId`, its QCVN 102 code) and optional contact."""

    organ_id: str | None = None
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class Code:
    code_number: str | None = None
    code_notation: str | None = None


@dataclass(frozen=True)
class PromulgationInfo:
    place: str | None = None
    promulgation_date: str | None = None


@dataclass(frozen=True)
class DocumentType:
    type: str | None = None
    type_name: str | None = None
    type_detail: str | None = None


@dataclass(frozen=True)
class SignerInfo:
    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class OtherInfo:
    priority: str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageHeader:
    from_: Organization | None = None
    to: tuple[Organization, ...] = ()
    code: Code | None = None
    promulgation_info: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer_info: SignerInfo | None = None
    due_date: str | None = None
    to_places: tuple[str, ...] = ()
    other_info: OtherInfo | None = None
    steering_type: str | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class TraceHeader:
    """One hop: the unit (or hub) that handled the package, and when."""

    organ_id: str | None = None
    timestamp: str | None = None


@dataclass(frozen=True)
class StaffInfo:
    department: str | None = None
    staff: str | None = None
    mobile: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Bussiness:
    """The business of the package (the standard's spelling): `BussinessDocType` 0 new,
    1 recall, 2 update, 3 replace, and why."""

    bussiness_doc_type: str | None = None
    bussiness_doc_reason: str | None = None
    staff_info: StaffInfo | None = None
    paper: str | None = None


@dataclass(frozen=True)
class TraceHeaderList:
    trace_headers: tuple[TraceHeader, ...] = ()
    bussiness: Bussiness | None = None


@dataclass(frozen=True)
class Reference:
    """One manifest entry: the attachment it announces."""

    content_id: str | None = None
    content_type: str | None = None
    attachment_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Attachment:
    """What the reader learnt of one `AttachmentEncoded › Attachment` without keeping it:
    its declared id, name and type, and its decoded size and SHA-256 (hex). `base64_error`
    says why its text is not valid base64 (then size and hash cover what came before)."""

    content_id: str | None
    name: str | None
    content_type: str | None
    size: int
    sha256: str
    base64_error: str | None = None
    in_manifest: bool = False


@dataclass(frozen=True)
class Package:
    """A read package: the root's namespace, the header, the manifest and the attachments."""

    namespace: str
    header: MessageHeader | None
    trace_header_list: TraceHeaderList | None
    references: tuple[Reference, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    has_manifest: bool = True
    has_body: bool = True  # edXMLEnvelope › edXMLBody is there (absent from a header cut)
    missing: tuple[str, ...] = field(default=())  # structural parents absent (paths)

    @property
    def manifest_agrees(self) -> bool:
        """Every reference has its attachment and every attachment its reference."""
        ids = {content_key(r.content_id) for r in self.references}
        return (len(ids) == len(self.references) == len(self.attachments)
                and all(a.in_manifest for a in self.attachments))


def content_key(content_id: str | None) -> str:
    """A content id compared without `cid:` or angle brackets (`cid:a`, `<a>`, `a` agree)."""
    text = (content_id or "").strip()
    if text.lower().startswith("cid:"):
        text = text[4:]
    return text.strip("<>").strip()
