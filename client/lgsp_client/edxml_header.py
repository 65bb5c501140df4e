"""An edXML package read locally, in memory that does not grow with it: its header cut
out for the hub's check, and its attachments listed for a summary.

    with open("pkg.xml", "rb") as f:
        cut = cut_header(f)            # reads only until the header ends (<= 1 MiB)
    client.check_edxml(cut.document)   # the hub's reader and rules answer

The header comes before the body, so the file is read in chunks until the end of
`edXMLEnvelope › edXMLHeader` (or of the envelope), and the document sent is what was read
up to there, with the elements still open closed: the envelope with its header and no
body. A header that does not end within `MAX_HEADER_BYTES` (the hub's limit) is refused
here. What is not a package the client can cut (not XML, a DOCTYPE) is sent as read, for
the hub to say what is wrong with it: validation is the hub's, not the client's (the
hub's docs/edxml.md). Attachments never leave the machine for a check.

The standard library's expat reads here; a DOCTYPE stops it before any entity is
declared, and nothing is ever fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

from lgsp_client.errors import LgspError

MAX_HEADER_BYTES = 1024 * 1024  # the hub's limit for POST /v1/edxml/check
CHUNK = 64 * 1024
_BASE64_SKIP = b" \t\r\n="


class HeaderTooLargeError(LgspError):
    """The header does not end within the first `MAX_HEADER_BYTES` of the file."""

    code = "edxml_header_too_large"


@dataclass(frozen=True)
class HeaderCut:
    """`document`: what to send to the hub; `complete`: the header's end was found (else
    the bytes read, for the hub to judge); `bytes_read` of the file."""

    document: bytes
    complete: bool
    bytes_read: int


@dataclass(frozen=True)
class AttachmentInfo:
    content_id: str | None
    name: str | None
    content_type: str | None
    size: int  # decoded bytes, counted from the base64 text


class _Stop(Exception):
    """Raised by a handler to stop reading."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Cutter:
    def __init__(self) -> None:
        self.parser = expat.ParserCreate()  # names as written, prefixes kept
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.open: list[str] = []
        self.end_tag_at: int | None = None

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.open.append(name)

    def _end(self, name: str) -> None:
        self.open.pop()
        parent = _local(self.open[-1]) if self.open else ""
        if (_local(name), parent) in (("edXMLHeader", "edXMLEnvelope"),
                                      ("edXMLEnvelope", "edXML")):
            self.end_tag_at = self.parser.CurrentByteIndex
            raise _Stop

    def _doctype(self, *args: object) -> None:
        raise _Stop  # the hub refuses it, naming it: send what was read

    def feed(self, data: bytes, last: bool = False) -> bool:
        """Whether to stop: the header ended, or the bytes are for the hub to judge."""
        try:
            self.parser.Parse(data, last)
        except (_Stop, expat.ExpatError):
            return True
        return False


def cut_header(stream: BinaryIO, *, limit: int = MAX_HEADER_BYTES,
               chunk: int = CHUNK) -> HeaderCut:
    """The package's header as a document of its own, read from `stream` in chunks until
    the header ends (HeaderTooLargeError past `limit` bytes)."""
    cutter, read = _Cutter(), bytearray()
    while True:
        data = stream.read(chunk)
        read += data
        if cutter.feed(data, last=not data) or not data:
            break
        if len(read) > limit:
            raise HeaderTooLargeError(
                f"the package's header does not end within its first {limit:,} bytes "
                "(1 MiB, the most the hub checks): is edXMLHeader before the attachments?")
    if cutter.end_tag_at is None:
        return HeaderCut(bytes(read[:limit]), False, len(read))
    end = read.index(b">", cutter.end_tag_at) + 1
    closing = "".join(f"</{name}>" for name in reversed(cutter.open)).encode()
    document = bytes(read[:end]) + closing + b"\n"
    if len(document) > limit:
        raise HeaderTooLargeError(f"the package's header has {len(document):,} bytes; "
                                  f"the hub checks at most {limit:,} (1 MiB)")
    return HeaderCut(document, True, len(read))


class _Scanner:
    """`AttachmentEncoded › Attachment` elements: their attributes and decoded size."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.buffer_size = 64 * 1024
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.open: list[str] = []
        self.found: list[AttachmentInfo] = []
        self._attrs: dict[str, str] | None = None
        self._chars = 0

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        parent = _local(self.open[-1]) if self.open else ""
        self.open.append(name)
        if _local(name) == "Attachment" and parent == "AttachmentEncoded":
            self._attrs = {_local(k): v for k, v in attrs.items()}
            self._chars = 0

    def _end(self, name: str) -> None:
        self.open.pop()
        if self._attrs is not None and _local(name) == "Attachment":
            a = self._attrs
            self.found.append(AttachmentInfo(a.get("ContentId"), a.get("AttachmentName"),
                                             a.get("ContentType"), self._chars * 6 // 8))
            self._attrs = None

    def _text(self, text: str) -> None:
        if self._attrs is not None:
            self._chars += len(text.encode("utf-8").translate(None, _BASE64_SKIP))

    def _doctype(self, *args: object) -> None:
        raise LgspError("the package declares a DOCTYPE: refused, nothing in it was read",
                        code="edxml_unsafe_xml")


def list_attachments(stream: BinaryIO, *, chunk: int = 1024 * 1024,
                     on_read: Callable[[int], None] | None = None) -> list[AttachmentInfo]:
    """Every attachment of the package with its decoded size, reading the whole file once
    (LgspError `edxml_not_well_formed` where the XML breaks)."""
    scanner = _Scanner()
    try:
        while data := stream.read(chunk):
            scanner.parser.Parse(data, False)
            if on_read is not None:
                on_read(len(data))
        scanner.parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise LgspError(f"the package is not well-formed XML at line {exc.lineno}, column "
                        f"{exc.offset}: {expat.errors.messages[exc.code]}",
                        code="edxml_not_well_formed") from None
    return scanner.found
