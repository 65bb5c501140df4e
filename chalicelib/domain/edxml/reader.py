"""Read an edXML package incrementally, in memory that does not grow with its size.

    reader = PackageReader()
    for chunk in stream:          # chunks of any size, split anywhere
        reader.feed(chunk)
    package = reader.close()      # or UnreadablePackageError with its Problem
    trouble = rules.problems(package)

The structure read (docs/edxml.md): root `edXML` › `edXMLEnvelope` › `edXMLHeader` ›
(`MessageHeader`, `TraceHeaderList`, an XML-DSig `Signature` that is skipped) and
`edXMLBody` › `edXMLManifest` › `Reference`*; then, after the envelope,
`AttachmentEncoded` › `Attachment`* whose attributes `ContentId`, `AttachmentName` and
`ContentType` describe it and whose text is the base64 content, hashed and counted as it
streams. A reader that raised stays failed: it reads one package.
"""

from __future__ import annotations

from collections.abc import Iterable

from .header import read_header, read_references, read_traces
from .models import Attachment, Package, content_key
from .xmltree import AttachmentDigest, Node, TreeReader, UnreadablePackageError

__all__ = ["PackageReader", "UnreadablePackageError", "read_package"]


class PackageReader:
    """`feed(chunk)` any number of times, then `close() -> Package`."""

    def __init__(self) -> None:
        self._tree = TreeReader()

    def feed(self, chunk: bytes) -> None:
        self._tree.feed(chunk)

    def close(self) -> Package:
        root, namespace, digests = self._tree.close()
        return _package(root, namespace, digests)


def read_package(chunks: Iterable[bytes]) -> Package:
    """Read a whole package from an iterable of byte chunks (a file read in blocks, a
    stream from the store)."""
    reader = PackageReader()
    for chunk in chunks:
        reader.feed(chunk)
    return reader.close()


def _package(root: Node, namespace: str, digests: list[AttachmentDigest]) -> Package:
    missing: list[str] = []

    def need(parent: Node | None, name: str, path: str) -> Node | None:
        found = parent.child(name) if parent is not None else None
        if found is None and parent is not None:
            missing.append(path)
        return found

    if root.name != "edXML":
        missing.append("edXML")
        envelope = None
    else:
        envelope = need(root, "edXMLEnvelope", "edXMLEnvelope")
    head = need(envelope, "edXMLHeader", "edXMLEnvelope/edXMLHeader")
    message = need(head, "MessageHeader", "MessageHeader")
    traces = need(head, "TraceHeaderList", "TraceHeaderList")
    body = envelope.child("edXMLBody") if envelope is not None else None
    manifest = body.child("edXMLManifest") if body is not None else None
    references = read_references(manifest) if manifest is not None else ()
    declared = {content_key(r.content_id) for r in references}
    attachments = tuple(
        Attachment(content_id=d.attrs.get("ContentId"), name=d.attrs.get("AttachmentName"),
                   content_type=d.attrs.get("ContentType"), size=d.size, sha256=d.sha256,
                   base64_error=d.error,
                   in_manifest=content_key(d.attrs.get("ContentId")) in declared)
        for d in digests)
    return Package(
        namespace=namespace,
        header=read_header(message) if message is not None else None,
        trace_header_list=read_traces(traces) if traces is not None else None,
        references=references, attachments=attachments,
        has_manifest=manifest is not None or not attachments,
        has_body=body is not None or envelope is None, missing=tuple(missing))
