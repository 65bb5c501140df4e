"""Build an edXML package (QCVN 102:2016/BTTTT) from metadata and files, in constant memory.

    spec = package_spec({"from": "000.00.00.H30", "from_name": "UBND tỉnh Bắc Giang",
                         "to": ["000.00.01.H30"], "subject": "Về việc …",
                         "code_number": "1234", "code_notation": "QĐ-UBND",
                         "document_type": "1", "type_name": "Quyết định",
                         "place": "Bắc Giang", "files": ["QD-1234.pdf"]})
    built = build_package(spec, Path("pkg.xml"))   # each attachment's size and SHA-256

What is not given takes a default: the promulgation date is today in Vietnam, the
DocumentId `{From},{yyyy/MM/dd},{number/notation}`, Priority 0 (Thường), SteeringType 0,
BussinessDocType 0 (new), one TraceHeader (the sender, now), content ids `cid:1`, `cid:2`…
Each file is streamed into the package as base64 in 76-character lines, 57 KiB at a time,
and hashed as it goes; the package is written beside its name and renamed when whole.

This writer checks no edXML rule: the hub does (`lgsp edxml inspect`). The hub's tests
read every package built here with the hub's own reader and rules.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from lgsp_client.errors import UsageError
from lgsp_client.options import fold
from lgsp_client.progress import meter

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving: a fixed offset is exact
BLOCK = 57 * 1024  # a multiple of 57 bytes: one 76-character base64 line
BUSINESS = {"new": "0", "recall": "1", "update": "2", "replace": "3"}
EDXML_PRIORITIES = {"thuong": "0", "khan": "1", "thuong_khan": "2", "hoa_toc": "3",
                    "hoa_toc_hen_gio": "4"}
ORGAN = ("organ_id", "organization_in_charge", "organ_name", "organ_add", "email",
         "telephone", "fax", "website")
SIGNER = ("competence", "position", "full_name")
STAFF = ("department", "staff", "mobile", "email")
TEXTS = ("code_number", "code_notation", "place", "promulgation_date", "document_type",
         "type_name", "type_detail", "subject", "content", "due_date", "priority",
         "sphere_of_promulgation", "typer_notation", "promulgation_amount", "page_amount",
         "steering_type", "document_id", "business_doc_type", "business_doc_reason", "paper",
         "from_name")
LISTS = ("to_places", "appendixes")
KEYS = frozenset((*TEXTS, *LISTS, "from", "to", "signer", "staff", "files"))
REQUIRED = {"from": "--from", "from_name": "--from-name", "to": "--to", "subject": "--subject",
            "code_number": "--code-number", "code_notation": "--code-notation",
            "document_type": "--document-type", "type_name": "--type-name", "place": "--place"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DATE = re.compile(r"^(\d{4})[/-](\d{2})[/-](\d{2})$")


@dataclass(frozen=True)
class FileEntry:
    path: Path
    name: str
    content_type: str
    description: str | None = None


@dataclass(frozen=True)
class PackageSpec:
    """Everything the package says: `values` the header's texts by key (TEXTS, LISTS),
    the organisations as element-name maps, and the files."""

    sender: dict[str, str]
    to: list[dict[str, str]]
    values: dict[str, Any]
    signer: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    files: list[FileEntry] = field(default_factory=list)
    timestamp: str = ""


@dataclass(frozen=True)
class BuiltAttachment:
    content_id: str
    name: str
    size: int
    sha256: str


def edxml_priority(value: str) -> str:
    """`0`-`4`, the hub's slugs or the Vietnamese labels (`Hỏa tốc hẹn giờ` is 4)."""
    folded = fold(str(value))
    if folded in EDXML_PRIORITIES.values():
        return folded
    if folded in EDXML_PRIORITIES:
        return EDXML_PRIORITIES[folded]
    raise ValueError(f"unknown priority {value!r}: 0 Thường, 1 Khẩn, 2 Thượng khẩn, "
                     "3 Hỏa tốc, 4 Hỏa tốc hẹn giờ")


def business_doc_type(value: str) -> str:
    """`new`, `recall`, `update`, `replace` or their codes 0-3."""
    text = str(value).strip().lower()
    if text in BUSINESS.values():
        return text
    if text in BUSINESS:
        return BUSINESS[text]
    raise ValueError(f"unknown business doc type {value!r}: new, recall, update or replace")


def _date(value: str, what: str) -> str:
    match = _DATE.match(value.strip())
    if match is None:
        raise UsageError(f"{what} {value!r} is not a date: use yyyy/MM/dd")
    return "/".join(match.groups())


def _organ(value: Any, what: str) -> dict[str, str]:
    """A unit as a code, or a map of the organisation's elements (`organ_id`, …)."""
    if isinstance(value, str):
        return {"organ_id": value}
    if not isinstance(value, Mapping) or not set(value) <= set(ORGAN):
        raise UsageError(f"{what}: a unit code, or an object of {', '.join(ORGAN)}")
    return {k: str(v) for k, v in value.items() if v is not None}


def _group(value: Any, keys: Sequence[str], what: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not set(value) <= set(keys):
        raise UsageError(f"{what}: an object of {', '.join(keys)}")
    return {k: str(v) for k, v in value.items() if v is not None}


def _files(entries: Sequence[Any], base: Path) -> list[FileEntry]:
    found = []
    for entry in entries:
        item = {"path": entry} if isinstance(entry, str | Path) else entry
        if not isinstance(item, Mapping) or "path" not in item \
                or not set(item) <= {"path", "name", "content_type", "description"}:
            raise UsageError("files: paths, or objects of path, name, content_type, "
                             "description")
        path = base / Path(str(item["path"])).expanduser()
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        name = str(item.get("name") or path.name)
        guessed = mimetypes.guess_type(name, strict=False)[0]
        found.append(FileEntry(path, name, str(item.get("content_type") or guessed
                                               or "application/octet-stream"),
                               str(item["description"]) if item.get("description")
                               else None))
    return found


def require(metadata: Mapping[str, Any], *, but: Sequence[str] = ()) -> dict[str, Any]:
    """The values given (empty ones dropped); UsageError naming by its option each
    required one missing (`but` those)."""
    unknown = sorted(set(metadata) - KEYS)
    if unknown:
        raise UsageError(f"unknown metadata: {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(KEYS))})")
    given = {k: v for k, v in metadata.items() if v not in (None, "", [])}
    if isinstance(given.get("from"), Mapping) and given["from"].get("organ_name"):
        given.setdefault("from_name", given["from"]["organ_name"])
    missing = [option for key, option in REQUIRED.items() if key not in given and key not in but]
    if missing:
        raise UsageError(f"missing: {', '.join(missing)} (or the same in --metadata)")
    return given


def package_spec(metadata: Mapping[str, Any], *, base: Path = Path(),
                 now: datetime | None = None) -> PackageSpec:
    """The package from metadata (keys: KEYS; `from`/`to` codes or organisation objects,
    `signer`, `staff`, `files` relative to `base`), with the defaults of the module doc.
    UsageError names an unknown key or a missing value by its option."""
    given = require(metadata)
    moment = (now or datetime.now(VIETNAM)).astimezone(VIETNAM)
    values: dict[str, Any] = {k: str(given[k]).strip() for k in TEXTS if k in given}
    values.update({k: [str(v) for v in given[k]] for k in LISTS if k in given})
    values["promulgation_date"] = _date(values.get("promulgation_date")
                                        or moment.strftime("%Y/%m/%d"), "promulgation date")
    values["priority"] = edxml_priority(values.get("priority", "0"))
    values["business_doc_type"] = business_doc_type(values.get("business_doc_type", "new"))
    values.setdefault("steering_type", "0")
    sender = {**_organ(given["from"], "from"), "organ_name": values.pop("from_name")}
    to = [_organ(t, f"to[{n}]") for n, t in enumerate(
        given["to"] if isinstance(given["to"], list) else [given["to"]])]
    values.setdefault("document_id", f"{sender['organ_id']},{values['promulgation_date']},"
                                     f"{values['code_number']}/{values['code_notation']}")
    for key, text in [*values.items(), *sender.items()]:
        if any(_CONTROL.search(t) for t in ([text] if isinstance(text, str) else text)):
            raise UsageError(f"{key} holds a control character, which XML cannot carry")
    return PackageSpec(sender, to, values,
                       signer=_group(given.get("signer", {}), SIGNER, "signer"),
                       staff=_group(given.get("staff", {}), STAFF, "staff"),
                       files=_files(given.get("files", []), base),
                       timestamp=moment.strftime("%Y/%m/%d %H:%M:%S"))


# -- writing ------------------------------------------------------------------------------

def _name(key: str) -> str:
    """`organ_id` -> `OrganId`."""
    return "".join(part.capitalize() for part in key.split("_"))


def _leaf(name: str, value: Any) -> str:
    return "" if value in (None, "") else f"<{name}>{escape(str(value))}</{name}>"


def _node(name: str, inner: str) -> str:
    return f"<{name}>{inner}</{name}>" if inner else ""


def _fields(values: Mapping[str, str], keys: Sequence[str]) -> str:
    return "".join(_leaf(_name(k), values.get(k)) for k in keys)


def header_xml(spec: PackageSpec) -> str:
    """`MessageHeader` and `TraceHeaderList`, in the element order of the standard."""
    v = spec.values
    other = (_leaf("Priority", v["priority"])
             + _fields(v, ("sphere_of_promulgation", "typer_notation", "promulgation_amount",
                           "page_amount"))
             + _node("Appendixes", "".join(_leaf("Appendix", a) for a in v.get("appendixes",
                                                                              []))))
    message = (
        _node("From", _fields(spec.sender, ORGAN))
        + "".join(_node("To", _fields(t, ORGAN)) for t in spec.to)
        + _node("Code", _fields(v, ("code_number", "code_notation")))
        + _node("PromulgationInfo", _fields(v, ("place", "promulgation_date")))
        + _node("DocumentType", _leaf("Type", v["document_type"])
                + _leaf("TypeName", v["type_name"]) + _leaf("TypeDetail", v.get("type_detail")))
        + _fields(v, ("subject", "content"))
        + _node("SignerInfo", _fields(spec.signer, SIGNER))
        + _fields(v, ("due_date",))
        + _node("ToPlaces", "".join(_leaf("Place", p) for p in v.get("to_places", [])))
        + _node("OtherInfo", other)
        + _fields(v, ("steering_type", "document_id")))
    business = (_leaf("BussinessDocType", v["business_doc_type"])
                + _leaf("BussinessDocReason", v.get("business_doc_reason"))
                + _node("StaffInfo", _fields(spec.staff, STAFF)) + _leaf("Paper", v.get("paper")))
    trace = _node("TraceHeader", _leaf("OrganId", spec.sender["organ_id"])
                  + _leaf("Timestamp", spec.timestamp))
    return (f"<MessageHeader>{message}</MessageHeader>\n"
            f"<TraceHeaderList>{trace}<Bussiness>{business}</Bussiness></TraceHeaderList>")


def write_package(out: BinaryIO, spec: PackageSpec, *,
                  progress: bool = False) -> list[BuiltAttachment]:
    """The package to `out`; each attachment's content id, name, size and SHA-256."""
    ids = [f"cid:{n}" for n in range(1, len(spec.files) + 1)]
    manifest = "".join(
        "<Reference>" + _leaf("ContentId", cid) + _leaf("ContentType", f.content_type)
        + _leaf("AttachmentName", f.name) + _leaf("Description", f.description)
        + "</Reference>" for cid, f in zip(ids, spec.files, strict=True))
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NAMESPACE}">\n'
              f"<edXMLEnvelope>\n<edXMLHeader>\n{header_xml(spec)}\n</edXMLHeader>\n"
              f"<edXMLBody><edXMLManifest>{manifest}</edXMLManifest></edXMLBody>\n"
              "</edXMLEnvelope>\n<AttachmentEncoded>\n".encode())
    built = []
    total = sum(f.path.stat().st_size for f in spec.files)
    with meter(total, "building", progress) as bar:
        for cid, entry in zip(ids, spec.files, strict=True):
            out.write(f"<Attachment ContentId={quoteattr(cid)} AttachmentName="
                      f"{quoteattr(entry.name)} ContentType={quoteattr(entry.content_type)}>\n"
                      .encode())
            digest, size = hashlib.sha256(), 0
            with entry.path.open("rb") as f:
                while block := _read_full(f, BLOCK):
                    digest.update(block)
                    size += len(block)
                    out.write(base64.encodebytes(block))
                    bar.update(len(block))
            out.write(b"</Attachment>\n")
            built.append(BuiltAttachment(cid, entry.name, size, digest.hexdigest()))
    out.write(b"</AttachmentEncoded>\n</edXML>\n")
    return built


def _read_full(f: BinaryIO, size: int) -> bytes:
    """`size` bytes unless the file ends: a short block mid-file would pad the base64."""
    data = f.read(size)
    while data and len(data) < size and (more := f.read(size - len(data))):
        data += more
    return data


def build_package(spec: PackageSpec, output: Path, *,
                  progress: bool = False) -> list[BuiltAttachment]:
    """Write the package to `output` whole or not at all (a partial file is removed)."""
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as out:
            built = write_package(out, spec, progress=progress)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return built
