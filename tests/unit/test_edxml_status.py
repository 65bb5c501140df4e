"""edXML status packages (R-SEND-5, R-RECV-3): a destination's answer renders and reads
back, a code outside the list is refused naming it, and unsafe XML is refused as for any
package."""

from __future__ import annotations

import pytest

from chalicelib.domain.edxml.models import Code, Organization, StaffInfo
from chalicelib.domain.edxml.status import (
    InvalidStatusError,
    ResponseFor,
    StatusCode,
    StatusReply,
    read_status,
    render_status,
)
from chalicelib.domain.edxml.xmltree import UnreadablePackageError

REPLY = StatusReply(
    response_for=ResponseFor(organ_id="000.00.00.G14", code=Code("45", "CĐ-BNNMT"),
                             promulgation_date="2026/12/01",
                             document_id="000.00.00.G14,2026/12/01,45/CĐ-BNNMT"),
    from_=Organization(organ_id="000.00.00.H30", organ_name="UBND tỉnh Bắc Giang"),
    status_code="03", description="Đã tiếp nhận & chuyển <Sở NN&MT>",
    timestamp="2026/12/01 09:30:00",
    staff_info=StaffInfo(department="Văn thư", staff="Đỗ Minh", email="vt@bacgiang.gov.vn"))


@pytest.mark.parametrize("code", list(StatusCode))
def test_every_status_code_round_trips(code: StatusCode) -> None:
    reply = StatusReply(REPLY.response_for, REPLY.from_, code.value, REPLY.description,
                        REPLY.timestamp, REPLY.staff_info)
    back, problems = read_status([render_status(reply)])
    assert problems == [] and back == reply and back.code is code


def test_the_codes_and_their_meanings() -> None:
    assert [c.value for c in StatusCode] == ["01", "02", "03", "04", "05", "06", "13", "15",
                                             "16"]
    assert StatusCode.RECALL_OR_UPDATE_REFUSED.meaning.startswith("recall/update refused")


@pytest.mark.parametrize("bad", ["07", "3", "", "accepted"])
def test_a_code_outside_the_list_is_refused_naming_it(bad: str) -> None:
    reply = StatusReply(REPLY.response_for, REPLY.from_, bad or None, None, REPLY.timestamp)
    with pytest.raises(InvalidStatusError) as caught:
        render_status(reply)
    (problem,) = caught.value.problems
    assert problem.path == "Status/StatusCode"
    if bad:
        assert problem.code == "edxml_invalid_status_code" and f"'{bad}'" in problem.message
    else:
        assert problem.code == "edxml_missing_element"


def test_a_read_status_with_an_unknown_code_has_the_problem() -> None:
    text = render_status(REPLY).replace(b">03<", b">99<")
    reply, problems = read_status([text])
    assert reply.status_code == "99" and reply.code is None
    assert [(p.code, p.path) for p in problems] == [("edxml_invalid_status_code",
                                                     "Status/StatusCode")]


def test_missing_parts_are_named() -> None:
    reply = StatusReply(ResponseFor(organ_id="H30"), None, "01", None, "noon")
    paths = [(p.code, p.path) for p in render_status_problems(reply)]
    assert paths == [("edxml_invalid_value", "Status/ResponseFor/OrganId"),
                     ("edxml_missing_element", "Status/ResponseFor/DocumentId"),
                     ("edxml_missing_element", "Status/From"),
                     ("edxml_invalid_value", "Status/Timestamp")]


def render_status_problems(reply: StatusReply) -> list:  # type: ignore[type-arg]
    with pytest.raises(InvalidStatusError) as caught:
        render_status(reply)
    return caught.value.problems


def test_a_package_that_is_not_a_status_is_named() -> None:
    _, problems = read_status([b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>'])
    assert [(p.code, p.path) for p in problems] == [("edxml_missing_element", "Status")]


def test_unsafe_status_packages_are_refused() -> None:
    xxe = (b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<edXML><StatusCode>&x;</StatusCode></edXML>")
    with pytest.raises(UnreadablePackageError) as caught:
        read_status([xxe])
    assert caught.value.problem.code == "edxml_unsafe_xml"
