"""What the hub makes of a stored edXML package (issue 15, R-SEND-4; docs/edxml.md,
"edXML messages"): refused with its problems, or the values the message takes."""

from __future__ import annotations

from chalicelib.domain.edxml import intake
from chalicelib.domain.edxml.reader import read_package
from tests.unit.edxml_samples import DECISION, DISPATCH, RECALL

PROVINCE, FINANCE, HEALTH = "000.00.00.H30", "000.00.01.H30", "000.00.02.H30"
NOW = 1_795_000_000  # 2026-11-18


def _read(path):  # type: ignore[no-untyped-def]
    return read_package([path.read_bytes()])


def test_a_valid_package_gives_title_priority_deadline_and_the_documents_facts() -> None:
    v = intake.verdict(_read(DECISION), sender=PROVINCE, destinations=[FINANCE, HEALTH],
                       now=NOW, created_at=NOW, confirm_by=NOW + 3 * 86400, original=None)
    assert not v.refused
    assert v.changes["priority"] == "thuong" and v.changes["title"].startswith("Về việc")
    assert v.changes["confirm_by"] > NOW + 3 * 86400  # DueDate 2026/12/31
    assert v.changes["edxml"]["business_doc_type"] == 0
    assert "deliver_at" not in v.changes


def test_an_express_dispatch_is_hoa_toc() -> None:
    v = intake.verdict(_read(DISPATCH), sender="000.00.00.G14",
                       destinations=["000.00.00.H30", "000.00.00.H31", "000.00.00.H56",
                                     "000.00.00.H26"],
                       now=NOW, created_at=NOW, confirm_by=NOW + 86400, original=None)
    assert not v.refused and v.changes["priority"] == "hoa_toc"


def test_a_recall_needs_its_original_and_every_destination_of_it() -> None:
    package = _read(RECALL)
    none = intake.verdict(package, sender=PROVINCE, destinations=[FINANCE], now=NOW,
                          created_at=NOW, confirm_by=NOW + 60, original=None)
    assert [p.code for p in none.problems] == ["edxml_unknown_original"]
    original = intake.Original("m1", (FINANCE, HEALTH))
    short = intake.verdict(package, sender=PROVINCE, destinations=[FINANCE], now=NOW,
                           created_at=NOW, confirm_by=NOW + 60, original=original)
    assert [p.code for p in short.problems] == ["edxml_original_destinations"]
    assert HEALTH in short.problems[0].message
    whole = intake.verdict(package, sender=PROVINCE, destinations=[FINANCE, HEALTH],
                           now=NOW, created_at=NOW, confirm_by=NOW + 60, original=original)
    assert whole.problems == []
    assert whole.changes["edxml"]["original"] == "m1"
    assert whole.changes["edxml"]["business_doc_type"] == 1


def test_problems_are_shown_at_most_twenty() -> None:
    from chalicelib.domain.edxml.models import Problem
    many = [Problem("edxml_x", f"p{i}", "m") for i in range(30)]
    assert len(intake.problem_view(many)) == intake.MAX_PROBLEMS == 20
