"""Rules of the sweeper's timing (R-PROP-4, R-PROP-9) and of push order."""

from __future__ import annotations

import pytest

from chalicelib.domain import deadlines, events
from chalicelib.domain.ports import Event

H = 3600


def verdict(**kw: int | bool | None) -> tuple[bool, int | None]:
    base: dict = {"now": 10 * H, "available_at": 5 * H, "online": False,
                  "offline_since": None, "limit": 2 * H, "confirm_by": 100 * H}
    v = deadlines.waiting_verdict(**{**base, **kw})
    return v.warn, v.next_check


@pytest.mark.parametrize(("case", "kw", "expected"), [
    ("never connected, waiting longer than the limit", {}, (True, None)),
    ("offline before arrival counts from arrival", {"now": 6 * H, "offline_since": 1 * H},
     (False, 7 * H)),
    ("offline after arrival counts from going offline", {"offline_since": 9 * H},
     (False, 11 * H)),
    ("exactly the limit warns", {"now": 11 * H, "offline_since": 9 * H}, (True, None)),
    ("online: look again one limit later", {"online": True}, (False, 12 * H)),
    ("no look past the deadline", {"online": True, "confirm_by": 11 * H}, (False, None)),
    ("offline but the deadline comes first", {"offline_since": 9 * H, "confirm_by": 11 * H},
     (False, None)),
])
def test_waiting_verdict(case: str, kw: dict, expected: tuple[bool, int | None]) -> None:
    assert verdict(**kw) == expected, case


def test_days_and_first_look_back() -> None:
    assert deadlines.day_of(1_795_000_000) == "2026-11-18"
    assert deadlines.next_day("2026-12-31") == "2027-01-01"
    assert deadlines.next_day("2028-02-28") == "2028-02-29"
    assert deadlines.first_day(1_795_000_000) == "2026-10-19"


def test_an_upload_is_abandoned_at_the_deadline_if_that_comes_first() -> None:
    assert deadlines.upload_due(1000, 1000 + 60, 86400) == 1060
    assert deadlines.upload_due(1000, 1000 + 3 * 86400, 86400) == 1000 + 86400


def test_pushes_go_most_urgent_first_then_oldest_presence_last() -> None:
    batch = [Event("message.available", "u", "a", "thuong", 1),
             Event("unit.online", "u", None, None, 0),
             Event("message.available", "u", "b", "hoa_toc", 5),
             Event("message.available", "u", "c", "hoa_toc", 2),
             Event("message.available", "u", "d", "khan", 0)]
    assert [e.message_id for e in sorted(batch, key=events.push_order)] == [
        "c", "b", "d", "a", None]


def test_event_bodies_round_trip_and_leave_out_absent_ids() -> None:
    presence = events.presence(events.OFFLINE, "000.00.02.H99", 7)
    body = events.as_dict(presence)
    assert body == {"type": "unit.offline", "recipient": "000.00.02.H99",
                    "unit": "000.00.02.H99", "at": 7}
    assert events.from_dict(body) == presence
    available = Event("message.available", "x", "m1", "khan", 3, {"source": "y"})
    assert events.from_dict(events.as_dict(available)) == available
