"""The life of a message and its deliveries, without a table (R-SEND-2..5, R-RECV-2..3,
R-PROP-3): every step from every state, the guard each writes, the refusals."""

from __future__ import annotations

import pytest

from chalicelib.domain import lifecycle
from chalicelib.domain.lifecycle import (
    ABANDON,
    COMPLETE,
    CONFIRM,
    EXPIRE,
    FETCH,
    FETCH_AGAIN,
    MOVE,
    REJECT,
    VERIFY,
    DeliveryState,
    MessageState,
)
from chalicelib.domain.ports import Condition

D, M = DeliveryState, MessageState
STORED = [D.AVAILABLE, D.FETCHED, D.CONFIRMED, D.REJECTED, D.EXPIRED, D.MOVED]


@pytest.mark.parametrize(("step", "allowed"), [
    (FETCH, {D.AVAILABLE}), (FETCH_AGAIN, {D.FETCHED}),
    (CONFIRM, {D.AVAILABLE, D.FETCHED}), (REJECT, {D.AVAILABLE, D.FETCHED}),
    (EXPIRE, {D.AVAILABLE, D.FETCHED}), (MOVE, {D.AVAILABLE, D.FETCHED})])
def test_each_delivery_step_is_allowed_from_exactly_its_states(
        step: lifecycle.Step, allowed: set[str]) -> None:
    assert {s for s in STORED if step.allows(s)} == allowed


def test_message_steps() -> None:
    assert (VERIFY.sources, VERIFY.target) == ((M.REQUESTED, M.CHECKING), M.VERIFIED)
    assert (lifecycle.STORE.sources, lifecycle.STORE.target) == ((M.REQUESTED,), M.CHECKING)
    assert (lifecycle.REFUSE.sources, lifecycle.REFUSE.target) == ((M.CHECKING,), M.REFUSED)
    assert (COMPLETE.sources, COMPLETE.target) == ((M.VERIFIED,), M.COMPLETED)
    assert (ABANDON.sources, ABANDON.target) == ((M.REQUESTED,), M.ABANDONED)


def test_a_step_guards_its_write_with_its_sources_and_stamps_its_time() -> None:
    assert ABANDON.guard() == Condition(equals={"state": M.REQUESTED})
    assert VERIFY.guard() == Condition(one_of={"state": [M.REQUESTED, M.CHECKING]})
    assert CONFIRM.guard() == Condition(one_of={"state": [D.AVAILABLE, D.FETCHED]})
    assert MOVE.guard(batch=3) == Condition(equals={"batch": 3},
                                            one_of={"state": [D.AVAILABLE, D.FETCHED]})
    assert REJECT.changes(100, reason="sai") == {"state": D.REJECTED, "rejected_at": 100,
                                                 "reason": "sai"}


def test_the_first_fetch_changes_the_state_later_ones_only_count() -> None:
    assert lifecycle.fetch_step(D.AVAILABLE) is FETCH
    assert lifecycle.fetch_step(D.FETCHED) is FETCH_AGAIN
    assert FETCH.changes(5) == {"state": D.FETCHED, "first_fetched_at": 5}
    assert FETCH_AGAIN.changes(9) == {"state": D.FETCHED, "last_fetched_at": 9}


@pytest.mark.parametrize(("state", "code"), [
    (D.CONFIRMED, "already_confirmed"), (D.REJECTED, "already_rejected"),
    (D.EXPIRED, "expired"), (D.MOVED, "not_available")])
def test_a_closed_delivery_refuses_with_a_code_saying_why(state: str, code: str) -> None:
    refused = lifecycle.refusal(FETCH_AGAIN, state, M.VERIFIED)
    assert refused is not None and refused.code == code and refused.status == 409


def test_closing_twice_is_no_refusal_but_already_done() -> None:
    assert lifecycle.refusal(CONFIRM, D.CONFIRMED, M.COMPLETED) is None
    assert lifecycle.already_done(CONFIRM, D.CONFIRMED)
    assert not lifecycle.already_done(CONFIRM, D.REJECTED)
    refused = lifecycle.refusal(REJECT, D.CONFIRMED, M.VERIFIED)
    assert refused is not None and refused.code == "already_confirmed"


def test_an_open_delivery_of_a_message_not_verified_is_not_available() -> None:
    refused = lifecycle.refusal(CONFIRM, D.AVAILABLE, M.COMPLETED)
    assert refused is not None and refused.code == "not_available"


@pytest.mark.parametrize(("count", "sizes"), [
    (1, [1]), (40, [40]), (41, [40, 1]), (85, [40, 45]), (1000, [40] + [45] * 21 + [15])])
def test_fan_out_batches_fit_a_transaction(count: int, sizes: list[int]) -> None:
    units = [f"u{n}" for n in range(count)]
    batches = lifecycle.batches(units)
    assert [len(b) for b in batches] == sizes
    assert [u for b in batches for u in b] == units
    assert 2 * lifecycle.FIRST_BATCH + 10 <= 100 and 2 * lifecycle.BATCH + 1 <= 100


def test_the_trace_cap() -> None:
    assert [lifecycle.traced(n) for n in range(lifecycle.TRACE_CAP + 1)] == \
        [True] * lifecycle.TRACE_CAP + [False]


def test_a_destination_trace_is_rebuilt_from_the_message_and_its_delivery() -> None:
    msg = {"source": "S", "created_at": 1, "verified_at": 2, "content_deleted_at": 9}
    delivery = {"unit": "B", "state": D.REJECTED, "available_at": 2, "first_fetched_at": 4,
                "rejected_at": 7, "reason": "sai", "addressed_to": "OLD", "moved_in_at": 3}
    lines = lifecycle.destination_trace(msg, delivery)
    assert [(x.at, x.event, x.unit, x.detail) for x in lines] == [
        (1, "requested", "S", None), (2, "verified", "S", None),
        (3, "rerouted", "B", "OLD → B"), (4, "fetched", "B", None),
        (7, "rejected", "B", "sai"), (9, "content_deleted", None, None)]
    assert [x.event for x in lifecycle.destination_trace(
        {"source": "S", "created_at": 1}, None)] == ["requested"]


def test_a_destination_without_a_delivery_item() -> None:
    assert lifecycle.unstored_state(M.REQUESTED) == D.PENDING
    assert lifecycle.unstored_state(M.ABANDONED) == D.ABANDONED


def test_a_message_whose_content_is_lost_ends_by_its_state() -> None:
    """After a restore (R-OPS-4): open deliveries of a verified message expire, an upload
    still awaited is abandoned, a message that is over stays so."""
    assert lifecycle.ending_for_lost_content(M.VERIFIED) is lifecycle.EXPIRE
    assert lifecycle.ending_for_lost_content(M.REQUESTED) is lifecycle.ABANDON
    assert lifecycle.ending_for_lost_content(M.COMPLETED) is None
    assert lifecycle.ending_for_lost_content(M.ABANDONED) is None
    assert lifecycle.EXPIRE.changes(5, reason=lifecycle.CONTENT_LOST) == {
        "state": D.EXPIRED, "expired_at": 5, "reason": "content_lost"}
    delivery = {"unit": "B", "state": D.EXPIRED, "available_at": 2, "expired_at": 6,
                "reason": lifecycle.CONTENT_LOST}
    lines = lifecycle.destination_trace({"source": "S", "created_at": 1}, delivery)
    assert (lines[-1].event, lines[-1].detail) == ("expired", "content_lost")


def test_a_delivery_ended_for_lost_content_says_so_not_that_a_deadline_passed() -> None:
    """After a restore, a destination fetching a message whose content went with the store
    is told that, not that the source's deadline passed (which it did not)."""
    lost = lifecycle.refusal(FETCH, D.EXPIRED, M.COMPLETED, reason=lifecycle.CONTENT_LOST)
    assert lost is not None and lost.code == "expired" and "lost" in lost.message
    assert "deadline" not in lost.message
    timed_out = lifecycle.refusal(FETCH, D.EXPIRED, M.COMPLETED)
    assert timed_out is not None and "deadline" in timed_out.message
