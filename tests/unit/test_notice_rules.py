"""Maintenance notices' pure rules (R-OPS-4): the window, plain text, the vocabulary of
services, the state at a time and what is current; and the request's wire shape."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain import notices as rules
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.notice_schemas import NoticeRequest

NOW = 1_795_000_000
HOUR, DAY = 3600, 86400


def notice(starts: int, ends: int, *, cancelled: int | None = None,
           notice_id: str = "a") -> dict[str, Any]:
    return {"id": notice_id, "starts_at": starts, "ends_at": ends, "cancelled_at": cancelled}


@pytest.mark.parametrize(("starts", "ends"), [
    (NOW, NOW + 2 * HOUR),  # now
    (NOW - HOUR, NOW + HOUR),  # an hour ago at most
    (NOW + 300 * DAY, NOW + 330 * DAY),  # announced well ahead
    (NOW, NOW + 30 * DAY),  # the longest window
])
def test_good_windows_pass(starts: int, ends: int) -> None:
    rules.check_window(starts, ends, NOW)


@pytest.mark.parametrize(("starts", "ends", "says"), [
    (NOW + HOUR, NOW + HOUR, "after starts_at"),
    (NOW + HOUR, NOW, "after starts_at"),
    (NOW, NOW + 30 * DAY + 1, "30 days"),
    (NOW - HOUR - 1, NOW + HOUR, "one hour in the past"),
    (NOW + 366 * DAY, NOW + 367 * DAY, "a year ahead"),
])
def test_bad_windows_are_refused_saying_which_rule(starts: int, ends: int, says: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        rules.check_window(starts, ends, NOW)
    assert err.value.code == "invalid_notice_window" and says in err.value.message


@pytest.mark.parametrize("text", [
    "Bảo trì hệ thống trục LGSP từ 22:00 đến 23:00.\nCác đơn vị gửi lại sau.",
    "Dung lượng < 10 GB; tỉ lệ <3% lỗi; a < b", "Tab\tđược phép",
])
def test_plain_text_passes(text: str) -> None:
    rules.check_text("body", text, one_line=False)


@pytest.mark.parametrize("text", ["<b>Khẩn</b>", "Xem </p>", "<!-- x -->", "<?php",
                                  "<script>alert(1)</script>", "<img src=x onerror=y>"])
def test_markup_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        rules.check_text("body", text, one_line=False)
    assert err.value.code == "invalid_notice_text" and err.value.details == {"field": "body"}


def test_a_title_is_one_line_and_no_text_holds_control_characters() -> None:
    rules.check_text("body", "hai\ndòng", one_line=False)
    for text, one_line in (("hai\ndòng", True), ("a\rb", True), ("bell\x07", False),
                           ("nul\x00", False)):
        with pytest.raises(InvalidRequestError) as err:
            rules.check_text("title", text, one_line=one_line)
        assert err.value.code == "invalid_notice_text"


def test_services_are_named_once_in_the_vocabularys_order_and_all_stands_alone() -> None:
    assert rules.affected(["sso", "exchange", "sso"]) == ["exchange", "sso"]
    assert rules.affected(["reports", "all", "sso"]) == ["all"]
    assert rules.affected([]) == ["all"]
    assert rules.SERVICES[-1] == rules.ALL


def test_state_follows_the_clock_and_a_cancellation_wins() -> None:
    n = notice(NOW, NOW + HOUR)
    assert rules.state_at(n, NOW - 1) == "upcoming"
    assert rules.state_at(n, NOW) == "active"
    assert rules.state_at(n, NOW + HOUR - 1) == "active"
    assert rules.state_at(n, NOW + HOUR) == "ended"
    cancelled = notice(NOW, NOW + HOUR, cancelled=NOW - 10)
    assert {rules.state_at(cancelled, t) for t in (NOW - 1, NOW, NOW + HOUR)} == {"cancelled"}


def test_current_is_active_or_upcoming_within_seven_days() -> None:
    active = notice(NOW - HOUR, NOW + HOUR, notice_id="active")
    soon = notice(NOW + 7 * DAY, NOW + 8 * DAY, notice_id="soon")
    sooner = notice(NOW + DAY, NOW + 2 * DAY, notice_id="sooner")
    later = notice(NOW + 7 * DAY + 1, NOW + 8 * DAY, notice_id="later")
    ended = notice(NOW - 2 * HOUR, NOW, notice_id="ended")
    cancelled = notice(NOW - HOUR, NOW + HOUR, cancelled=NOW - 1, notice_id="cancelled")
    shown = rules.current([later, soon, ended, sooner, cancelled, active], NOW)
    assert [n["id"] for n in shown] == ["active", "sooner", "soon"]


def test_the_current_range_covers_every_notice_that_can_be_current() -> None:
    low, high = rules.current_ends_between(NOW)
    latest = notice(NOW + rules.HORIZON_SECONDS, NOW + rules.HORIZON_SECONDS
                    + rules.MAX_WINDOW_SECONDS)
    assert rules.is_current(latest, NOW) and low < latest["ends_at"] <= high


def test_only_upcoming_and_active_notices_may_be_cancelled() -> None:
    assert rules.may_cancel(notice(NOW + 1, NOW + HOUR), NOW)
    assert rules.may_cancel(notice(NOW - 1, NOW + HOUR), NOW)
    assert not rules.may_cancel(notice(NOW - HOUR, NOW), NOW)
    assert not rules.may_cancel(notice(NOW + 1, NOW + HOUR, cancelled=NOW), NOW)


# -- the wire --------------------------------------------------------------------------

GOOD = ('{"title": "Bảo trì", "body": "Tối nay", "severity": "maintenance", '
        '"ends_at": "2026-12-01T23:00:00+07:00"')


def parse(extra: str = "") -> NoticeRequest:
    return NoticeRequest.model_validate_json(GOOD + extra + "}", strict=True)


def test_a_request_takes_iso_times_with_their_offset_and_defaults_to_every_service() -> None:
    request = parse(', "starts_at": "2026-12-01T14:00:00Z"')
    assert request.services == ["all"]
    assert int(request.ends_at.timestamp()) == 1_796_140_800
    assert int(request.starts_at.timestamp()) == 1_796_133_600  # type: ignore[union-attr]
    assert parse().starts_at is None


@pytest.mark.parametrize("extra", [
    ', "starts_at": "2026-12-01T22:00:00"',  # no offset: whose 22:00?
    ', "starts_at": 1796133600', ', "starts_at": "1796133600"',  # epoch is not the wire's
    ', "severity": "critical"', ', "services": ["mail"]', ', "services": []',
    ', "html": true', f', "title": "{"x" * 201}"',
])
def test_a_bad_request_is_refused_by_its_shape(extra: str) -> None:
    raw = GOOD + extra + "}"
    with pytest.raises(ValidationError):
        NoticeRequest.model_validate_json(raw, strict=True)
