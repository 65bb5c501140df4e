"""Status replies' rules (R-SEND-5, R-PROP-10; the national-standards status codes 01-06,
13, 15, 16 of ../shared/spec/REQUIREMENTS.md): who may answer a message with which code and
when, repeats, and the reply as an edXML status package."""

from __future__ import annotations

import pytest

from chalicelib.domain import events, keys, status_replies as rules
from chalicelib.domain.edxml.models import Code
from chalicelib.domain.edxml.status import StatusCode, read_status
from chalicelib.domain.errors import ConflictError, InvalidRequestError
from chalicelib.domain.status_reply_schemas import CODES

SRC, B, C = "000.00.01.H99", "000.00.02.H99", "000.00.03.H99"
S = StatusCode
ANSWERS = [S.ARRIVED, S.REJECTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.COMPLETED]
RECALL_ANSWERS_ = [S.RECALL_OR_UPDATE_ACCEPTED, S.RECALL_OR_UPDATE_REFUSED]


def dest(state: str | None, **extra: object) -> rules.Situation:
    return rules.Situation("destination", "verified", state, **extra)  # type: ignore[arg-type]


def why(code: StatusCode, s: rules.Situation) -> str | None:
    refused = rules.refusal(code, s)
    return None if refused is None else refused.code


@pytest.mark.parametrize("code", list(StatusCode))
def test_every_code_of_the_standard_is_taken(code: StatusCode) -> None:
    assert rules.parse_code(code.value) is code


@pytest.mark.parametrize("bad", ["07", "3", "", "accepted", "03 "])
def test_any_other_code_is_refused_naming_the_codes(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        rules.parse_code(bad)
    assert caught.value.code == "invalid_status_code" and f"'{bad}'" in caught.value.message
    assert all(f"{c.value} {c.meaning}" in caught.value.message for c in StatusCode)


def test_the_roles() -> None:
    assert rules.role_of(SRC, [B, C], B, S.ACCEPTED) == "destination"
    assert rules.role_of(SRC, [B, C], B, S.RECALL_REQUESTED) == "destination"  # then refused
    assert rules.role_of(SRC, [B, C], SRC, S.RECALL_REQUESTED) == "source"
    assert rules.role_of(SRC, [B, C], SRC, S.ACCEPTED) == "source"  # then refused
    assert rules.role_of(SRC, [B], C, S.ACCEPTED) is None
    assert rules.role_of(SRC, [SRC], SRC, S.RECALL_REQUESTED) == "source"  # sent to itself
    assert rules.role_of(SRC, [SRC], SRC, S.ACCEPTED) == "destination"


@pytest.mark.parametrize("state", ["fetched", "confirmed"])
@pytest.mark.parametrize("code", ANSWERS)
def test_a_destination_answers_once_it_fetched_also_after_it_confirmed(
        state: str, code: StatusCode) -> None:
    assert why(code, dest(state)) is None
    assert why(code, rules.Situation("destination", "completed", state)) is None  # days later


@pytest.mark.parametrize("state", [None, "pending", "available"])
def test_nothing_is_answered_before_the_first_fetch_not_even_arrived(state: str | None) -> None:
    refused = rules.refusal(S.ARRIVED, dest(state))
    assert refused is not None and refused.code == "status_not_allowed"
    assert "Fetch the message first" in refused.message


def test_a_rejected_delivery_is_answered_only_with_02() -> None:
    assert why(S.REJECTED, dest("rejected")) is None
    refused = rules.refusal(S.ACCEPTED, dest("rejected"))
    assert refused is not None and "only 02" in refused.message


def test_an_expired_or_moved_delivery_is_not_answered_even_relayed() -> None:
    for relayed in (False, True):
        assert why(S.COMPLETED, dest("expired", relayed=relayed)) == "status_not_allowed"
        moved = rules.refusal(S.COMPLETED, dest("moved", moved_to=C, relayed=relayed))
        assert moved is not None and C in moved.message


@pytest.mark.parametrize("state", [None, "available", "fetched", "rejected"])
def test_a_relayed_reply_was_checked_at_its_hub(state: str | None) -> None:
    assert why(S.ACCEPTED, dest(state, relayed=True)) is None


def test_13_is_the_sources_and_only_13() -> None:
    refused = rules.refusal(S.RECALL_REQUESTED, dest("confirmed"))
    assert refused is not None and "sent by the source" in refused.message
    for code in [*ANSWERS, *RECALL_ANSWERS_]:
        assert why(code, rules.Situation("source", "verified")) == "status_not_allowed"
    for state in ("verified", "completed"):
        assert why(S.RECALL_REQUESTED, rules.Situation("source", state)) is None
    for state in ("requested", "abandoned"):
        assert why(S.RECALL_REQUESTED, rules.Situation("source", state)) == "status_not_allowed"


def test_a_recall_is_not_recalled_but_an_update_or_a_replacement_may_be() -> None:
    recall = rules.Situation("source", "verified", business_doc_type=1)
    refused = rules.refusal(S.RECALL_REQUESTED, recall)
    assert refused is not None and "itself a recall" in refused.message
    for doc_type in (0, 2, 3, None):
        assert why(S.RECALL_REQUESTED,
                   rules.Situation("source", "verified", business_doc_type=doc_type)) is None


@pytest.mark.parametrize("code", RECALL_ANSWERS_)
def test_15_and_16_answer_a_recall_an_update_or_the_sources_13_only(code: StatusCode) -> None:
    for doc_type in (None, 0):
        refused = rules.refusal(code, dest("confirmed", business_doc_type=doc_type))
        assert refused is not None and "recall or an update" in refused.message
    for doc_type in (1, 2, 3):
        assert why(code, dest("confirmed", business_doc_type=doc_type)) is None
    assert why(code, dest("confirmed", recall_requested=True)) is None


def test_a_unit_sends_a_bounded_number_of_replies() -> None:
    assert why(S.IN_PROGRESS, dest("fetched", sent_before=rules.MAX_PER_UNIT - 1)) is None
    refused = rules.refusal(S.IN_PROGRESS, dest("fetched", sent_before=rules.MAX_PER_UNIT))
    assert refused is not None and refused.code == "too_many_status_replies"
    assert isinstance(refused, ConflictError) and refused.status == 409
    # a reply refused for its own reason says that reason, not the count
    assert why(S.ACCEPTED,
               dest("available", sent_before=rules.MAX_PER_UNIT)) == "status_not_allowed"


def reply(code: str, at: int, comment: str | None = None) -> dict[str, object]:
    return {"id": f"R{at}", "unit": B, "code": code, "comment": comment, "at": at}


def test_the_same_code_and_comment_as_the_latest_reply_soon_after_is_that_reply() -> None:
    earlier = [reply("03", 1000, "ok")]
    window = rules.REPEAT_SECONDS
    assert rules.repeat_of(earlier, S.ACCEPTED, "ok", 1000 + window, relayed=False) is earlier[0]
    assert rules.repeat_of(earlier, S.ACCEPTED, "ok", 1001 + window, relayed=False) is None
    assert rules.repeat_of(earlier, S.ACCEPTED, "other", 1001, relayed=False) is None
    assert rules.repeat_of(earlier, S.ASSIGNED, "ok", 1001, relayed=False) is None
    assert rules.repeat_of([], S.ACCEPTED, None, 1001, relayed=False) is None


def test_going_back_to_an_earlier_code_is_a_new_reply() -> None:
    earlier = [reply("05", 1000), reply("04", 1010)]
    assert rules.repeat_of(earlier, S.IN_PROGRESS, None, 1020, relayed=False) is None


def test_a_relayed_reply_repeats_any_earlier_one_with_its_code_comment_and_time() -> None:
    earlier = [reply("05", 1000), reply("04", 1010)]
    assert rules.repeat_of(earlier, S.IN_PROGRESS, None, 1000, relayed=True) is earlier[0]
    assert rules.repeat_of(earlier, S.IN_PROGRESS, None, 1001, relayed=True) is None


def test_comments_are_trimmed_and_bounded() -> None:
    assert rules.comment_of("  Đã giao phòng Tổng hợp  ") == "Đã giao phòng Tổng hợp"
    assert rules.comment_of("   ") is None and rules.comment_of(None) is None
    assert rules.comment_of("x" * 1000) == "x" * 1000
    with pytest.raises(InvalidRequestError) as caught:
        rules.comment_of("x" * 1001)
    assert caught.value.code == "validation_failed"


def test_who_sees_a_reply() -> None:
    own, sources = reply("03", 1), {**reply("13", 2), "unit": SRC}
    assert rules.visible_to(own, SRC, SRC) and rules.visible_to(sources, SRC, SRC)
    assert rules.visible_to(own, B, SRC) and rules.visible_to(sources, C, SRC)
    assert not rules.visible_to(own, C, SRC)


def test_hops_are_kept_in_order_as_hub_and_time() -> None:
    assert rules.clean_hops(None) == []
    assert rules.clean_hops([{"hub": "ndxp", "at": 5}, {"hub": "hanoi", "at": 7}]) == [
        {"hub": "ndxp", "at": 5}, {"hub": "hanoi", "at": 7}]


MSG = {"id": "01a2b3", "source": SRC, "to": [B], "priority": "khan", "title": "Tờ trình mật"}
EDXML = {"document_id": "000.00.00.G14,2026/12/01,45/CĐ-BNNMT", "code_number": "45",
         "code_notation": "CĐ-BNNMT", "promulgation_date": "2026-12-01",
         "organ_id": "000.00.00.G14", "organ_name": "Bộ NN&MT", "subject": "Về việc…",
         "business_doc_type": 0}
ANSWER = {"id": "R1", "unit": B, "code": "03", "comment": "Đã tiếp nhận & chuyển <Sở>",
          "at": 1_795_000_000, "hops": []}


def test_an_edxml_messages_reply_names_the_document_as_its_header_did() -> None:
    text = rules.status_package({**MSG, "edxml": EDXML}, ANSWER, "Sở Tài chính")
    back, problems = read_status([text])
    assert problems == []
    assert back.response_for is not None and back.from_ is not None
    assert back.response_for.organ_id == "000.00.00.G14"
    assert back.response_for.code == Code("45", "CĐ-BNNMT")
    assert back.response_for.promulgation_date == "2026/12/01"
    assert back.response_for.document_id == EDXML["document_id"]
    assert (back.from_.organ_id, back.from_.organ_name) == (B, "Sở Tài chính")
    assert (back.status_code, back.description) == ("03", ANSWER["comment"])
    assert back.timestamp == "2026/11/18 18:06:40"  # 2026-11-18T11:06:40Z in Vietnam


def test_a_plain_messages_reply_names_the_source_and_the_hubs_message_id() -> None:
    text = rules.status_package(MSG, ANSWER, B)
    back, problems = read_status([text])
    assert problems == [] and back.response_for is not None
    assert (back.response_for.organ_id, back.response_for.document_id) == (SRC, "01a2b3")
    assert back.response_for.code is None and back.response_for.promulgation_date is None
    assert "Tờ trình".encode() not in text  # the title is not the reply's to carry


def test_the_status_event_names_the_unit_code_and_meaning_never_the_title() -> None:
    event = events.status_reply(MSG, ANSWER, SRC, S.ACCEPTED.meaning)
    assert (event.type, event.recipient, event.message_id, event.priority) == (
        "message.status", SRC, "01a2b3", "khan")
    assert dict(event.data) == {"unit": B, "code": "03", "meaning": "accepted (tiếp nhận)",
                                "comment": ANSWER["comment"], "reply_id": "R1"}
    relayed = events.status_reply(MSG, {**ANSWER, "hops": [{"hub": "ndxp", "at": 1}]}, SRC,
                                  "accepted")
    assert relayed.data["hops"] == [{"hub": "ndxp", "at": 1}]


def test_replies_live_in_their_messages_partition_apart_from_the_rest() -> None:
    for pk, _ in (keys.status_reply("M1", "R1"), keys.unit_status_reply("M1", B, "R1"),
                  keys.latest_status_reply("M1", B)):
        assert pk == keys.message_partition("M1")
    copy_sk = keys.unit_status_reply("M1", B, "R1")[1]
    others = (keys.REPLIES, keys.DELIVERIES, keys.TRACE, keys.LEFT)
    assert not any(copy_sk.startswith(p) for p in others)
    assert not keys.latest_status_reply("M1", B)[1].startswith(others)
    assert copy_sk.startswith(keys.unit_replies(B))
    assert not keys.unit_status_reply("M1", "000.00.02.H9", "R1")[1].startswith(
        keys.unit_replies("000.00.02.H99"))


def test_the_request_models_description_lists_every_code() -> None:
    assert all(f"{c.value} " in CODES for c in StatusCode)
