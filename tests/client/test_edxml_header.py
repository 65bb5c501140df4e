"""The header cut `lgsp edxml inspect` sends to the hub (docs/edxml.md "The client"):
read only until the header ends (a package with a 50 MiB attachment costs one chunk),
accepted by the hub's reader as the header it is, refused past 1 MiB; what the client
cannot cut is sent as read, for the hub to name what is wrong."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from chalicelib.domain.edxml.reader import UnreadablePackageError, read_package
from chalicelib.domain.edxml.rules import problems
from lgsp_client.edxml_header import (
    CHUNK,
    MAX_HEADER_BYTES,
    HeaderTooLargeError,
    cut_header,
    list_attachments,
)
from lgsp_client.errors import LgspError
from tests.unit import edxml_samples as samples


class CountingReader(io.RawIOBase):
    """A file's reads, counted."""

    def __init__(self, path: Path) -> None:
        self._f = path.open("rb")
        self.read_bytes = 0
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._f.readinto(buffer)
        self.read_bytes += n
        self.reads += 1
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


@pytest.mark.parametrize("sample", [samples.DECISION, samples.DISPATCH, samples.RECALL],
                         ids=lambda p: p.stem)
def test_the_cut_is_the_header_the_hub_reads_and_accepts(sample: Path) -> None:
    with sample.open("rb") as f:
        cut = cut_header(f)
    assert cut.complete and cut.bytes_read == sample.stat().st_size  # small: one chunk
    assert b"edXMLBody" not in cut.document and b"AttachmentEncoded" not in cut.document
    header, whole = read_package([cut.document]), read_package([sample.read_bytes()])
    assert header.header == whole.header
    assert header.trace_header_list == whole.trace_header_list
    assert problems(header, header_only=True) == []


def test_a_package_with_a_50_mib_attachment_is_cut_with_one_bounded_read(
        tmp_path: Path) -> None:
    text = samples.RECALL.read_text()
    head, tail = text.split("</edXMLEnvelope>")
    path = tmp_path / "big.xml"
    with path.open("w") as f:
        f.write(head + "</edXMLEnvelope>\n<AttachmentEncoded><Attachment ContentId=\"cid:1\">\n")
        line = "QUFB" * 19 + "\n"  # 57 bytes of 'A' per line, 76 characters
        for _ in range(50 * 1024 * 1024 // 57 + 1):
            f.write(line)
        f.write("</Attachment></AttachmentEncoded>" + tail)
    assert path.stat().st_size > 66 * 1024 * 1024
    stream = CountingReader(path)
    with io.BufferedReader(stream, buffer_size=CHUNK) as f:
        cut = cut_header(f)
        assert cut.complete
    assert stream.read_bytes <= CHUNK and stream.read_bytes == cut.bytes_read
    assert problems(read_package([cut.document]), header_only=True) == []


def test_a_header_that_does_not_end_within_1_mib_is_refused_reading_no_more(
        tmp_path: Path) -> None:
    text = samples.RECALL.read_text()
    path = tmp_path / "huge-header.xml"
    path.write_text(text.replace("<Subject>", "<Subject>" + "x" * (2 * MAX_HEADER_BYTES)))
    stream = CountingReader(path)
    with io.BufferedReader(stream, buffer_size=CHUNK) as f, \
            pytest.raises(HeaderTooLargeError, match="1 MiB"):
        cut_header(f)
    assert stream.read_bytes <= MAX_HEADER_BYTES + CHUNK


@pytest.mark.parametrize(("document", "code"), [
    (b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<edXML><edXMLEnvelope><edXMLHeader>&x;</edXMLHeader></edXMLEnvelope></edXML>",
     "edxml_unsafe_xml"),
    (b"%PDF-1.4 not a package at all", "edxml_not_well_formed"),
    (samples.RECALL.read_bytes()[:700], "edxml_not_well_formed"),  # truncated in the header
], ids=["doctype", "not-xml", "truncated"])
def test_what_cannot_be_cut_is_sent_as_read_for_the_hub_to_name(document: bytes,
                                                                code: str) -> None:
    cut = cut_header(io.BytesIO(document))
    assert not cut.complete and cut.document == document
    with pytest.raises(UnreadablePackageError) as refused:
        read_package([cut.document])
    assert refused.value.problem.code == code


def test_the_attachments_are_listed_with_their_decoded_sizes() -> None:
    with samples.DECISION.open("rb") as f:
        found = list_attachments(f)
    assert [(a.name, a.size) for a in found] == [("QD-1234-UBND.pdf", len(samples.DECISION_PDF)),
                                                 ("Phu-luc.txt", len(samples.DECISION_ANNEX))]
    with samples.DISPATCH.open("rb") as f:
        assert [(a.content_id, a.size) for a in list_attachments(f)] == [
            ("cid:cong-dien-45", len(samples.DISPATCH_PDF))]
    broken = re.sub(rb"</AttachmentEncoded>.*", b"", samples.DECISION.read_bytes(), flags=re.DOTALL)
    with pytest.raises(LgspError, match="not well-formed"):
        list_attachments(io.BytesIO(broken))
