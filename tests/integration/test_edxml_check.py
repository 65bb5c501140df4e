"""`POST /v1/edxml/check` on the app (issue 15, R-SEND-4, R-COMP-4; docs/edxml.md
"Checking a header"): the hub's own reader and rules on a header an app sends, the rules
that depend on the caller, unsafe XML refused with the edXML problem's code, the size
limit. Each header rule broken once is covered in tests/unit/test_edxml_rules.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.api.openapi import openapi_document
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, Reply, SignedClient, World
from tests.unit.edxml_samples import DECISION, DECISION_ANNEX, DECISION_PDF, RECALL, sha256

XML = {"content-type": "application/xml"}
PATH = "/v1/edxml/check"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": UNIT_C}  # hub.c may make groups


def ours(text: str, *, sender: str = UNIT_A, dest: str = UNIT_B) -> str:
    """A sample sent by `sender` (the sample's 000.00.00.H30) to `dest` (its first To)."""
    return text.replace("000.00.00.H30", sender).replace("000.00.01.H30", dest)


def header(text: str = RECALL.read_text(), **kw: str) -> bytes:
    """The envelope with its header and no body, as `lgsp edxml inspect` cuts it."""
    cut = re.sub(r"<(edXML:)?edXMLBody>.*</(edXML:)?edXMLBody>", "", ours(text, **kw),
                 flags=re.DOTALL)
    assert "edXMLBody" not in cut and "AttachmentEncoded" not in cut
    return cut.encode()


def check(client: SignedClient, body: bytes, query: str = "", **headers: str) -> Reply:
    return client.call("POST", PATH + query, raw=body, headers={**XML, **headers})


def test_a_valid_header_answers_its_summary_and_the_messages_values(hub: World) -> None:
    got = check(hub.a, header())
    assert got.status == 200, got.body
    assert got.body["valid"] is True and got.body["problems"] == []
    h = got.body["header"]
    assert h["from"] == {"organ_id": UNIT_A, "organ_name": "UBND tỉnh Bắc Giang"}
    assert [t["organ_id"] for t in h["to"]] == [UNIT_B]
    assert (h["code_number"], h["code_notation"], h["promulgation_date"]) == (
        "1234", "QĐ-UBND", "2026/11/30")
    assert (h["priority"], h["priority_name"]) == ("1", "Khẩn")
    assert (h["business_doc_type"], h["business_doc_type_name"]) == ("1", "recall")
    assert h["document_id"] == f"{UNIT_A},2026/11/30,1234/QĐ-UBND"
    assert h["attachments"] == []
    assert got.body["message"] == {
        "title": "Thu hồi Quyết định số 1234/QĐ-UBND ngày 30/11/2026", "priority": "khan",
        "deliver_at": None, "deadline": None, "destinations": [UNIT_B]}


def test_a_whole_small_package_is_checked_with_its_attachments(hub: World) -> None:
    got = check(hub.a, ours(DECISION.read_text()).encode())
    assert got.status == 200 and got.body["valid"] is True, got.body
    assert [(a["name"], a["size"], a["sha256"]) for a in got.body["header"]["attachments"]] \
        == [("QD-1234-UBND.pdf", len(DECISION_PDF), sha256(DECISION_PDF)),
            ("Phu-luc.txt", len(DECISION_ANNEX), sha256(DECISION_ANNEX))]
    assert got.body["message"]["deadline"] == "2026-12-31T16:59:59Z"  # 23:59:59 in Vietnam


def test_problems_are_answered_naming_their_elements(hub: World) -> None:
    broken = header().replace(b"<CodeNumber>1234</CodeNumber>", b"") \
        .replace(b"<Priority>1</Priority>", b"<Priority>7</Priority>")
    got = check(hub.a, broken)
    assert got.status == 200, got.body
    assert got.body["valid"] is False and got.body["message"] is None
    found = {(p["code"], p["element"]) for p in got.body["problems"]}
    assert found == {("edxml_missing_element", "MessageHeader/Code/CodeNumber"),
                     ("edxml_invalid_value", "MessageHeader/OtherInfo/Priority")}
    assert all(p["element"] in p["message"] for p in got.body["problems"])
    assert got.body["header"]["priority"] == "7" and got.body["header"]["code_number"] is None


def test_from_must_be_the_callers_own_unit(hub: World) -> None:
    got = check(hub.b, header())  # sent by B, the header says A
    assert [(p["code"], p["element"]) for p in got.body["problems"]] == [
        ("edxml_not_sender", "MessageHeader/From/OrganId")]


def test_every_to_must_be_among_the_destinations_the_app_means(hub: World) -> None:
    assert check(hub.a, header(), f"?to={UNIT_B}").body["valid"] is True
    assert check(hub.a, header(), f"?to={UNIT_C}%2C{UNIT_B}").body["valid"] is True
    got = check(hub.a, header(), f"?to={UNIT_C}")
    assert [(p["code"], p["element"]) for p in got.body["problems"]] == [
        ("edxml_not_a_destination", "MessageHeader/To[0]/OrganId")]
    bad = check(hub.a, header(), "?to=H30")
    assert (bad.status, bad.code, bad.body["error"]["field"]) == (
        400, "invalid_unit_code", "to[0]")


def test_a_group_among_the_destinations_counts_with_its_members(hub: World) -> None:
    made = hub.c.post("/v1/groups", {"id": "so-nganh", "name": "Các sở, ngành",
                                     "members": [UNIT_B, UNIT_C]})
    assert made.status == 201, made.body
    assert check(hub.a, header(), "?to=group%3Aso-nganh").body["valid"] is True
    assert check(hub.a, header(), "?to=group%3Akhong-co").code == "unknown_group"


XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope>'
       b'<edXMLHeader><MessageHeader><Subject>&x;</Subject></MessageHeader></edXMLHeader>'
       b'</edXMLEnvelope></edXML>')
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">'.replace("&lol0;", "&lol;")
                     .encode() for n in range(1, 10))
          + b']>\n<edXML><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&lol9;'
            b'</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>')


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_unsafe_xml_is_refused_with_the_edxml_code_not_a_500(hub: World,
                                                             document: bytes) -> None:
    got = check(hub.a, document)
    assert (got.status, got.code, got.body["error"]["element"]) == (
        400, "edxml_unsafe_xml", "DOCTYPE")
    assert "passwd" not in got.body["error"]["message"].replace("file:///etc/passwd", "")


def test_a_document_that_is_not_xml_names_where_it_breaks(hub: World) -> None:
    got = check(hub.a, header()[:300])
    assert (got.status, got.code) == (400, "edxml_not_well_formed")
    assert "line" in got.body["error"]["message"]


def test_a_header_up_to_one_mib_is_read_and_more_is_refused(hub: World) -> None:
    base = header()
    padding = b"<!--" + b"x" * (1024 * 1024 - len(base) - 7) + b"-->"  # padding as a comment
    at_limit = base.replace(b"<edXMLEnvelope>", b"<edXMLEnvelope>" + padding, 1)
    assert len(at_limit) == 1024 * 1024
    assert check(hub.a, at_limit).body["valid"] is True
    over = check(hub.a, at_limit + b" ")
    assert (over.status, over.code) == (413, "edxml_header_too_large")


def test_the_call_is_signed_and_takes_xml_only(hub: World) -> None:
    unsigned = hub.a.call("POST", PATH, raw=header(), headers=XML, signed=False)
    assert (unsigned.status, unsigned.code) == (401, "signature_missing")
    as_json = check(hub.a, header(), **{"content-type": "application/json"})
    assert (as_json.status, as_json.code) == (415, "unsupported_media_type")
    assert check(hub.a, header(), **{"content-type": "text/xml; charset=utf-8"}).status == 200
    empty = hub.a.call("POST", PATH)
    assert (empty.status, empty.code) == (400, "validation_failed")


def test_the_route_is_in_openapi_with_its_shapes() -> None:
    doc = openapi_document()
    op = doc["paths"][PATH]["post"]
    assert set(op["requestBody"]["content"]) == {"application/xml", "text/xml"}
    assert op["requestBody"]["required"] is True
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/EdxmlCheckView")
    view = doc["components"]["schemas"]["EdxmlHeaderView"]["properties"]
    assert {"from", "to", "priority_name", "document_id"} <= set(view)
    assert {"400", "401", "413", "415"} <= set(op["responses"])
    assert [p["name"] for p in op["parameters"]] == ["to"]
