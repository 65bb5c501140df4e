"""A package's header cut from it (`POST /v1/edxml/check`, `lgsp edxml inspect`) is checked
without its body and attachments; a stored package is checked whole and needs its body
(R-SEND-4, docs/edxml.md "Checking a header")."""

from __future__ import annotations

import re

from chalicelib.domain.edxml.models import Package, Problem
from chalicelib.domain.edxml.reader import read_package
from chalicelib.domain.edxml.rules import problems
from tests.unit.edxml_samples import DECISION, DISPATCH, RECALL


def _cut(text: str, *, keep_body: bool = False) -> Package:
    """The sample without its attachments (and its body unless `keep_body`)."""
    text = re.sub(r"<(edXML:)?AttachmentEncoded>.*</(edXML:)?AttachmentEncoded>", "", text,
                  flags=re.DOTALL)
    if not keep_body:
        text = re.sub(r"<(edXML:)?edXMLBody>.*</(edXML:)?edXMLBody>", "", text,
                      flags=re.DOTALL)
    assert "AttachmentEncoded" not in text and (keep_body or "edXMLBody" not in text)
    return read_package([text.encode()])


def _codes(found: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.path) for p in found]


def test_a_header_without_body_or_attachments_passes_the_header_only_check() -> None:
    for sample in (DECISION, DISPATCH, RECALL):
        assert problems(_cut(sample.read_text()), header_only=True) == [], sample.name


def test_a_stored_package_without_its_body_is_refused_naming_it() -> None:
    assert _codes(problems(_cut(RECALL.read_text()))) == [
        ("edxml_missing_element", "edXMLEnvelope/edXMLBody")]


def test_a_manifest_whose_attachments_were_left_behind_is_no_problem_in_a_header() -> None:
    package = _cut(DECISION.read_text(), keep_body=True)
    assert package.references and not package.attachments
    assert problems(package, header_only=True) == []
    assert {c for c, _ in _codes(problems(package))} == {"edxml_manifest_mismatch"}


def test_what_a_header_only_document_carries_is_still_checked() -> None:
    """Attachments sent along are compared with the manifest as in a whole package; the
    header's own rules apply unchanged."""
    text = DECISION.read_text()
    unannounced = read_package([text.replace('<Attachment ContentId="cid:phu-luc.txt"',
                                             '<Attachment ContentId="cid:other"').encode()])
    assert ("edxml_manifest_mismatch", "AttachmentEncoded/Attachment[1]") in _codes(
        problems(unannounced, header_only=True))
    no_subject = _cut(text.replace("<edXML:Subject>", "<edXML:Content>", 1)
                      .replace("</edXML:Subject>", "</edXML:Content>", 1))
    assert ("edxml_missing_element", "MessageHeader/Subject") in _codes(
        problems(no_subject, header_only=True))
