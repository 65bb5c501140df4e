"""The safe, incremental XML core under the edXML reader and the status reader.

defusedxml's SAX reader over expat, fed chunk by chunk: a DOCTYPE (so every DTD, entity
declaration, parameter entity and external reference) is refused before anything in it is
read. What is kept is a small tree of the envelope's elements, bounded: text per element,
elements in all, depth, and bytes fed without a parse event (one endless tag or comment).
The base64 text of each `AttachmentEncoded › Attachment` is never kept: it is decoded as it
streams into a SHA-256 and a byte count (`AttachmentDigest`).
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.expatreader import DefusedExpatParser

from .models import Problem

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
MAX_TEXT_CHARS = 64 * 1024  # one header element's text
MAX_ELEMENTS = 10_000  # elements in a package (a real header has well under 200)
MAX_DEPTH = 32
MAX_QUIET_BYTES = 1 << 20  # bytes fed with no parse event: a tag or comment that long
_WHITESPACE = b" \t\r\n"


class UnreadablePackageError(Exception):
    """The bytes are not a package the hub will read (unsafe, not well-formed, or past a
    limit); `problem` says which and where. Nothing after the fault is read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _LimitError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


@dataclass
class Node:
    """One kept element: its local name, attributes (local names) and text."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    size: int = 0
    children: list[Node] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def child(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name == name]

    def text_of(self, name: str) -> str | None:
        found = self.child(name)
        return None if found is None else found.text


class AttachmentDigest:
    """Base64 text decoded as it arrives (a quadruple may be split anywhere) into a SHA-256
    and a byte count; nothing of it is kept beyond the last incomplete quadruple."""

    def __init__(self, attrs: dict[str, str]) -> None:
        self.attrs = attrs
        self.size = 0
        self.error: str | None = None
        self._hash = hashlib.sha256()
        self._pending = b""
        self._ended = False  # padding seen: only whitespace may follow

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def feed(self, text: str) -> None:
        if self.error is not None:
            return
        try:
            data = self._pending + text.encode("ascii").translate(None, _WHITESPACE)
        except UnicodeEncodeError:
            self.error = "it holds a character that is not base64"
            return
        if data and self._ended:
            self.error = "text follows the base64 padding '='"
            return
        whole = len(data) - len(data) % 4
        self._pending = data[whole:]
        if whole:
            self._decode(data[:whole])

    def _decode(self, quads: bytes) -> None:
        try:
            raw = binascii.a2b_base64(quads, strict_mode=True)
        except binascii.Error as exc:
            self.error = f"it is not valid base64 ({exc})"
            return
        self._ended = quads.endswith(b"=")
        self._hash.update(raw)
        self.size += len(raw)

    def finish(self) -> None:
        if self.error is None and self._pending:
            self.error = (f"its base64 ends with {len(self._pending)} character(s) of an "
                          "incomplete group of four (truncated)")


class _Handler(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.root: Node | None = None
        self.namespace = ""
        self.attachments: list[AttachmentDigest] = []
        self.events = 0
        self._elements = 0
        self._stack: list[Node | AttachmentDigest | None] = []
        self._names: list[str] = []

    def path(self) -> str:
        return "/".join(self._names)

    def startElementNS(self, name: tuple[str | None, str], qname: str | None,
                       attrs: Any) -> None:
        uri, local = name[0] or "", name[1]
        self.events += 1
        self._elements += 1
        self._names.append(local)
        if self._elements > MAX_ELEMENTS or len(self._names) > MAX_DEPTH:
            what = (f"more than {MAX_ELEMENTS:,} elements" if self._elements > MAX_ELEMENTS
                    else f"elements nested deeper than {MAX_DEPTH}")
            raise _LimitError(self.path(), f"the package has {what}: refused as absurd")
        values = {key[1]: value for key, value in attrs.items()}
        parent = self._stack[-1] if self._stack else None
        if not self._stack:
            self.namespace = uri
            self.root = Node(local, values)
            self._stack.append(self.root)
        elif isinstance(parent, Node) and parent.name == "AttachmentEncoded" \
                and local == "Attachment":
            digest = AttachmentDigest(values)
            self.attachments.append(digest)
            self._stack.append(digest)
        elif isinstance(parent, Node) and uri in (NAMESPACE, ""):
            node = Node(local, values)
            parent.children.append(node)
            self._stack.append(node)
        else:  # a foreign namespace (the XML-DSig Signature) or inside an attachment
            if isinstance(parent, AttachmentDigest) and parent.error is None:
                parent.error = f"it contains an element <{local}>, not only base64 text"
            self._stack.append(None)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        self.events += 1
        top = self._stack.pop()
        if isinstance(top, AttachmentDigest):
            top.finish()
        self._names.pop()

    def characters(self, content: str) -> None:
        self.events += 1
        top = self._stack[-1] if self._stack else None
        if isinstance(top, AttachmentDigest):
            top.feed(content)
        elif isinstance(top, Node):
            top.size += len(content)
            if top.size > MAX_TEXT_CHARS:
                raise _LimitError(self.path(), f"the text of {self.path()} is longer than "
                                  f"{MAX_TEXT_CHARS:,} characters: refused")
            top.parts.append(content)


class TreeReader:
    """Feed bytes in chunks of any size, then `close()` for the kept tree."""

    def __init__(self) -> None:
        self._handler = _Handler()
        self._parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True,
                                          forbid_external=True)
        self._parser.setFeature(feature_namespaces, True)
        self._parser.setContentHandler(self._handler)
        self._quiet = 0
        self._failed: UnreadablePackageError | None = None
        self._closed = False

    def feed(self, chunk: bytes) -> None:
        self._check_open()
        before = self._handler.events
        self._run(self._parser.feed, chunk)
        self._quiet = 0 if self._handler.events != before else self._quiet + len(chunk)
        if self._quiet > MAX_QUIET_BYTES:
            self._stop(Problem("edxml_limit_exceeded", self._handler.path() or "/",
                               f"more than {MAX_QUIET_BYTES:,} bytes with no element or "
                               "text ended (one endless tag, attribute or comment): refused"))

    def close(self) -> tuple[Node, str, list[AttachmentDigest]]:
        self._check_open()
        self._run(self._parser.close)
        self._closed = True
        assert self._handler.root is not None  # expat refuses a document without one
        return self._handler.root, self._handler.namespace, self._handler.attachments

    def _check_open(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise RuntimeError("this reader is closed; use a new one per package")

    def _stop(self, problem: Problem) -> None:
        self._failed = UnreadablePackageError(problem)
        raise self._failed

    def _run(self, call: Any, *args: Any) -> None:
        try:
            call(*args)
        except DTDForbidden as exc:
            where = f" with the external DTD '{exc.sysid}'" if exc.sysid else ""
            self._stop(Problem("edxml_unsafe_xml", "DOCTYPE", (
                f"the package declares a document type '{exc.name}'{where}: a DOCTYPE "
                "(DTD, entity declarations, external references) is refused, nothing in it "
                "was read")))
        except (EntitiesForbidden, ExternalReferenceForbidden) as exc:  # behind the DTD
            self._stop(Problem("edxml_unsafe_xml", "DOCTYPE",
                               f"the package declares an entity or external reference "
                               f"({exc}): refused, nothing was resolved"))
        except _LimitError as exc:
            self._stop(Problem("edxml_limit_exceeded", exc.path, exc.message))
        except SAXParseException as exc:
            self._stop(Problem("edxml_not_well_formed", self._handler.path() or "/",
                               f"the package is not well-formed XML at line "
                               f"{exc.getLineNumber()}, column {exc.getColumnNumber()}: "
                               f"{exc.getMessage()}"))
