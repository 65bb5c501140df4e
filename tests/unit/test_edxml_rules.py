"""The QCVN 102 header rules (R-SEND-2, R-SEND-4): each rule broken once in a valid package
names its element; the package against its message; the values a message takes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from chalicelib.domain.edxml.dates import VIETNAM
from chalicelib.domain.edxml.models import Package
from chalicelib.domain.edxml.reader import read_package
from chalicelib.domain.edxml.rules import against_message, problems
from chalicelib.domain.edxml.values import message_values
from chalicelib.domain.priority import Priority
from tests.unit.edxml_samples import DECISION, DISPATCH, RECALL

E = "edXML:"


def _changed(old: str, new: str | None, sample: object = DECISION) -> Package:
    """The sample with `old` replaced by `new`, or with the element `old` opens removed
    whole when `new` is None."""
    text = sample.read_text()  # type: ignore[attr-defined]
    assert old in text, old
    if new is None:
        name = old.strip("<>").split()[0]
        pattern = re.escape(old) + r".*?</" + re.escape(name) + ">"
        return read_package([re.sub(pattern, "", text, count=1, flags=re.DOTALL).encode()])
    return read_package([text.replace(old, new, 1).encode()])


def _tag(name: str, value: str) -> str:
    return f"<{E}{name}>{value}</{E}{name}>"


MISSING, INVALID, MISMATCH = ("edxml_missing_element", "edxml_invalid_value",
                              "edxml_manifest_mismatch")
CASES = [
    ("root-namespace", 'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" ', 'xmlns="urn:x" ',
     INVALID, "edXML"),
    ("from-missing", "<edXML:From>", None, MISSING, "MessageHeader/From"),
    ("from-organ-id", _tag("OrganId", "000.00.00.H30"), _tag("OrganId", "H30"), INVALID,
     "MessageHeader/From/OrganId"),
    ("from-organ-name", _tag("OrganName", "UBND tỉnh Bắc Giang"), "", MISSING,
     "MessageHeader/From/OrganName"),
    ("to-organ-id", _tag("OrganId", "000.00.02.H30"), _tag("OrganId", "000.05.00.H30"),
     INVALID, "MessageHeader/To[1]/OrganId"),
    ("code-number", _tag("CodeNumber", "1234"), "", MISSING,
     "MessageHeader/Code/CodeNumber"),
    ("code-notation", _tag("CodeNotation", "QĐ-UBND"), _tag("CodeNotation", " "), MISSING,
     "MessageHeader/Code/CodeNotation"),
    ("promulgation-date", _tag("PromulgationDate", "2026/11/30"),
     _tag("PromulgationDate", "30/11/2026"), INVALID,
     "MessageHeader/PromulgationInfo/PromulgationDate"),
    ("document-type", _tag("Type", "1"), _tag("Type", "QĐ"), INVALID,
     "MessageHeader/DocumentType/Type"),
    ("subject-missing", "<edXML:Subject>", None, MISSING,
     "MessageHeader/Subject"),
    ("subject-too-long", "Về việc phân bổ", "Về việc phân bổ" + "x" * 500, INVALID,
     "MessageHeader/Subject"),
    ("due-date", _tag("DueDate", "2026/12/31"), _tag("DueDate", "2026/13/31"), INVALID,
     "MessageHeader/DueDate"),
    ("priority-range", _tag("Priority", "0"), _tag("Priority", "5"), INVALID,
     "MessageHeader/OtherInfo/Priority"),
    ("priority-missing", _tag("Priority", "0"), "", MISSING,
     "MessageHeader/OtherInfo/Priority"),
    ("priority-4-without-time", _tag("Priority", "0"), _tag("Priority", "4"), INVALID,
     "MessageHeader/DueDate"),
    ("steering-type", _tag("SteeringType", "0"), _tag("SteeringType", "7"), INVALID,
     "MessageHeader/SteeringType"),
    ("document-id-shape", "000.00.00.H30,2026/11/30,1234/QĐ-UBND", "1234/QĐ-UBND", INVALID,
     "MessageHeader/DocumentId"),
    ("document-id-sender", "000.00.00.H30,2026/11/30,", "000.00.00.H31,2026/11/30,", INVALID,
     "MessageHeader/DocumentId"),
    ("trace-organ-id", _tag("OrganId", "000.00.00.H30") + "\n          <edXML:Timestamp>",
     _tag("OrganId", "x") + "<edXML:Timestamp>", INVALID,
     "TraceHeaderList/TraceHeader[0]/OrganId"),
    ("trace-timestamp", "2026/11/30 15:20:05", "yesterday", INVALID,
     "TraceHeaderList/TraceHeader[0]/Timestamp"),
    ("business-doc-type", _tag("BussinessDocType", "0"), _tag("BussinessDocType", "4"),
     INVALID, "TraceHeaderList/Bussiness/BussinessDocType"),
    ("business-reason", _tag("BussinessDocType", "0"), _tag("BussinessDocType", "2"),
     MISSING, "TraceHeaderList/Bussiness/BussinessDocReason"),
    ("trace-list-missing", "<edXML:TraceHeaderList>", None, MISSING,
     "TraceHeaderList"),
    ("manifest-reference-unmatched", '<Attachment ContentId="cid:phu-luc.txt"', None,
     MISMATCH, "edXMLManifest/Reference[1]/ContentId"),
    ("attachment-unannounced", "<edXML:Reference>", None, MISMATCH,
     "AttachmentEncoded/Attachment[0]"),
    ("attachment-name", 'AttachmentName="Phu-luc.txt"', 'AttachmentName="Other.txt"',
     MISMATCH, "AttachmentEncoded/Attachment[1]"),
    ("attachment-base64", 'charset=utf-8">\n', 'charset=utf-8">\n*', INVALID,
     "AttachmentEncoded/Attachment[1]"),
]


@pytest.mark.parametrize(("old", "new", "code", "path"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_rule_broken_once_names_its_element(old: str, new: str | None, code: str,
                                                 path: str) -> None:
    found = problems(_changed(old, new))
    assert (found[0].code, found[0].path) == (code, path), found  # then its consequences
    element = path.rsplit("/", maxsplit=1)[-1].split("[", maxsplit=1)[0]
    assert element in found[0].message


def test_a_truncated_attachment_is_named() -> None:
    package = _changed('text/plain; charset=utf-8">\n', 'text/plain; charset=utf-8">\nQQ')
    (problem,) = problems(package)
    assert problem.code == INVALID and "incomplete group of four" in problem.message


# -- against the message -------------------------------------------------------------------


def test_the_package_matches_its_message() -> None:
    package = read_package([DECISION.read_bytes()])
    assert against_message(package, "000.00.00.H30",
                           ["000.00.01.H30", "000.00.02.H30", "000.00.03.H30"]) == []
    assert against_message(package, "000.00.00.H30", None) == []


def test_from_must_be_the_senders_own_unit() -> None:
    package = read_package([DECISION.read_bytes()])
    (problem,) = against_message(package, "000.00.05.H30", None)
    assert (problem.code, problem.path) == ("edxml_not_sender", "MessageHeader/From/OrganId")


def test_every_to_must_be_among_the_destinations() -> None:
    package = read_package([DECISION.read_bytes()])
    (problem,) = against_message(package, "000.00.00.H30", ["000.00.01.H30"])
    assert (problem.code, problem.path) == ("edxml_not_a_destination",
                                            "MessageHeader/To[1]/OrganId")
    assert "000.00.02.H30" in problem.message


# -- the values a message takes ----------------------------------------------------------


def test_values_of_an_ordinary_decision() -> None:
    values = message_values(read_package([DECISION.read_bytes()]))
    assert values.title == "Về việc phân bổ dự toán ngân sách nhà nước năm 2027"
    assert values.priority is Priority.THUONG and values.deliver_at is None
    assert values.deadline == datetime(2026, 12, 31, 23, 59, 59, tzinfo=VIETNAM)
    assert values.destinations == ("000.00.01.H30", "000.00.02.H30")


def test_values_of_an_express_dispatch_and_a_recall() -> None:
    dispatch = message_values(read_package([DISPATCH.read_bytes()]))
    assert dispatch.priority is Priority.HOA_TOC and len(dispatch.destinations) == 4
    assert dispatch.deadline == datetime(2026, 12, 3, 23, 59, 59, tzinfo=VIETNAM)
    recall = message_values(read_package([RECALL.read_bytes()]))
    assert recall.priority is Priority.KHAN and recall.deadline is None


def test_priority_4_is_express_held_until_the_time_in_due_date() -> None:
    package = _changed(_tag("DueDate", "2026/12/31"), _tag("DueDate", "2026/12/01 14:00:00"),
                       sample=_Text(DECISION.read_text().replace(
                           _tag("Priority", "0"), _tag("Priority", "4"))))
    assert problems(package) == []
    values = message_values(package)
    assert values.priority is Priority.HOA_TOC and values.deadline is None
    assert values.deliver_at == datetime(2026, 12, 1, 14, 0, tzinfo=VIETNAM)


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self) -> str:
        return self.text
