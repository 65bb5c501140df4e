"""Webhook subscriptions' rules (issue 16, R-PROP-8; docs/webhooks.md): a subscription
hears what its unit's WebSocket would, narrowed by event type, priority and counterpart."""

from __future__ import annotations

import pytest

from chalicelib.domain import events, webhooks
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.ports import Event

UNIT, OTHER, OPERATOR = "000.00.01.H30", "000.00.02.H30", "000.00.30.H30"


def body(event: Event) -> dict[str, object]:
    return events.as_dict(event)


MSG = {"id": "m1", "source": UNIT, "priority": "hoa_toc", "size": 1, "confirm_by": 9,
       "policy": {"notify_on": ["confirmed", "rejected", "expired", "fetched", "waiting"]}}
CONFIRMED = body(events.outcome(MSG, "confirmed", OTHER, 5) or Event("", "", None, None, 0))
ARRIVED = body(events.available({**MSG, "source": OTHER}, UNIT, 5))
NOTICE = body(events.notice({"id": "n1"}, 5))
ONLINE = body(events.presence(events.ONLINE, OTHER, 5))


def test_every_event_type_the_hub_emits_can_be_subscribed_to() -> None:
    emitted = {events.AVAILABLE, events.REFUSED, events.STATUS, events.NOTICE,
               events.WEBHOOK_DISABLED, *events.OUTCOMES.values(), *events.PRESENCE}
    assert emitted == set(webhooks.EVENT_TYPES)


def test_a_subscription_hears_what_its_unit_would_hear_and_no_more() -> None:
    every = webhooks.interest(["*"], operator=False)
    assert webhooks.matches(every, UNIT, CONFIRMED, operator=False)
    assert webhooks.matches(every, UNIT, ARRIVED, operator=False)
    assert webhooks.matches(every, UNIT, NOTICE, operator=False)  # to every unit
    assert not webhooks.matches(every, OTHER, CONFIRMED, operator=False)  # UNIT's event
    assert not webhooks.matches(every, UNIT, ONLINE, operator=False)  # operators' only
    ops = webhooks.interest(["unit.online"], operator=True)
    assert webhooks.matches(ops, OPERATOR, ONLINE, operator=True)
    assert not webhooks.matches(ops, OTHER, ONLINE, operator=True)  # not its own presence


def test_filters_narrow_by_type_priority_and_counterpart() -> None:
    confirmed = webhooks.interest(["message.confirmed"], operator=False)
    assert webhooks.matches(confirmed, UNIT, CONFIRMED, operator=False)
    assert not webhooks.matches(confirmed, UNIT, ARRIVED, operator=False)
    urgent = webhooks.interest(["*"], ["hoa_toc"], operator=False)
    assert webhooks.matches(urgent, UNIT, CONFIRMED, operator=False)
    assert not webhooks.matches(urgent, UNIT, {**CONFIRMED, "priority": "thuong"},
                                operator=False)
    assert not webhooks.matches(urgent, UNIT, NOTICE, operator=False)  # no priority
    with_other = webhooks.interest(["*"], counterparts=[OTHER], operator=False)
    assert webhooks.matches(with_other, UNIT, CONFIRMED, operator=False)  # destination
    assert webhooks.matches(with_other, UNIT, ARRIVED, operator=False)  # source
    assert not webhooks.matches(webhooks.interest(["*"], counterparts=["000.00.09.H30"],
                                                  operator=False), UNIT, CONFIRMED,
                                operator=False)
    assert webhooks.matching([("a", confirmed), ("b", urgent)], UNIT, CONFIRMED,
                             operator=False) == ["a", "b"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"events": []}, "events"),
    ({"events": ["message.exploded"]}, "events"),
    ({"events": ["unit.online"]}, "events"),  # not an operator unit
    ({"events": ["*"], "priorities": ["urgent"]}, "priorities"),
    ({"events": ["*"], "priorities": ["khan"] * 51}, "priorities"),
    ({"events": ["*"], "counterparts": ["not-a-code"]}, "counterparts"),
])
def test_a_bad_filter_is_refused_naming_its_field(kwargs: dict[str, list[str]],
                                                  field: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        webhooks.interest(operator=False, **kwargs)
    assert refused.value.details.get("field") == field
    assert refused.value.code in {"invalid_webhook_filter", "invalid_unit_code"}
