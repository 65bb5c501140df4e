"""Write an edXML package to a binary stream, attachments base64-encoded block by block:
memory stays constant whatever the attachments' sizes.

    written = write_package(out, header, traces, [
        AttachmentSource("QD-1234.pdf", "application/pdf", open_file)])

The manifest comes first (one `Reference` per attachment, `cid:1`, `cid:2`… unless an id
is given), then each attachment's base64 in lines of 76 characters. The SHA-256 and size
of each attachment, computed while writing, are returned: the reader finds the same.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from .header import Element, header_element, manifest_element, traces_element
from .models import MessageHeader, Reference, TraceHeaderList
from .xmltree import NAMESPACE

BLOCK = 57 * 1024  # bytes read at a time: a multiple of 3 and of 57 (one 76-char line)
PREFIX = "edXML:"


@dataclass(frozen=True)
class AttachmentSource:
    name: str
    content_type: str
    stream: BinaryIO
    content_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class WrittenAttachment:
    content_id: str
    size: int
    sha256: str


def render(element: Element, prefix: str = PREFIX) -> str:
    """An element and its children as XML text, each name with `prefix`."""
    name, value = element
    if isinstance(value, str):
        return f"<{prefix}{name}>{escape(value)}</{prefix}{name}>"
    inner = "".join(render(child, prefix) for child in value)
    return f"<{prefix}{name}>{inner}</{prefix}{name}>"


def write_package(out: BinaryIO, header: MessageHeader, traces: TraceHeaderList,
                  attachments: Sequence[AttachmentSource]) -> list[WrittenAttachment]:
    ids = [a.content_id or f"cid:{n + 1}" for n, a in enumerate(attachments)]
    references = [Reference(content_id=cid, content_type=a.content_type,
                            attachment_name=a.name, description=a.description)
                  for cid, a in zip(ids, attachments, strict=True)]
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NAMESPACE}" '
              f'xmlns:edXML="{NAMESPACE}">\n<edXML:edXMLEnvelope><edXML:edXMLHeader>'
              .encode())
    out.write(render(header_element(header)).encode())
    out.write(render(traces_element(traces)).encode())
    out.write(b"</edXML:edXMLHeader><edXML:edXMLBody>")
    out.write(render(manifest_element(references)).encode())
    out.write(b"</edXML:edXMLBody></edXML:edXMLEnvelope>\n<AttachmentEncoded>\n")
    written = [_attachment(out, cid, a) for cid, a in zip(ids, attachments, strict=True)]
    out.write(b"</AttachmentEncoded>\n</edXML>\n")
    return written


def _attachment(out: BinaryIO, content_id: str, source: AttachmentSource) -> WrittenAttachment:
    out.write(f"<Attachment ContentId={quoteattr(content_id)} "
              f"AttachmentName={quoteattr(source.name)} "
              f"ContentType={quoteattr(source.content_type)}>\n".encode())
    digest, size = hashlib.sha256(), 0
    while block := _read_full(source.stream, BLOCK):
        digest.update(block)
        size += len(block)
        out.write(base64.encodebytes(block))
    out.write(b"</Attachment>\n")
    return WrittenAttachment(content_id, size, digest.hexdigest())


def _read_full(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end: a short read mid-stream would put
    padding inside the base64."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)
