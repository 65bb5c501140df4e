"""Signing webhook deliveries (Standard Webhooks) and their body (issue 16, R-PROP-8,
R-COMP-4: the receiver can tell a delivery from the hub, untouched)."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.domain import events
from chalicelib.domain.webhook_payloads import body, payload
from chalicelib.domain.webhook_signing import (
    WebhookSignatureError,
    secret_from_key,
    secret_key,
    sign,
    verify,
)
from chalicelib.services.webhook_secrets import new_secret

# The scheme's published example (its libraries' own test): our signer must agree.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TS, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD, NEW = secret_from_key(b"o" * 32), secret_from_key(b"n" * 32)
NOW = 1_764_496_800


def test_the_schemes_published_example_is_reproduced() -> None:
    headers = sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)
    assert headers == {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TS),
                       "webhook-signature": SPEC_SIGNATURE}
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS) == SPEC_ID


def test_a_rotation_signs_with_both_and_either_secret_verifies() -> None:
    headers = sign([OLD, NEW], "evt_1", NOW, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify([OLD], headers, b"{}", now=NOW) == "evt_1"
    assert verify([NEW], headers, b"{}", now=NOW) == "evt_1"
    # a receiver holding both secrets accepts a delivery signed with only the new one
    assert verify([OLD, NEW], sign(NEW, "evt_1", NOW, b"{}"), b"{}", now=NOW) == "evt_1"


def test_header_names_are_read_in_any_case() -> None:
    headers = {k.upper(): v for k, v in sign(OLD, "evt_1", NOW, b"x").items()}
    assert verify(OLD, headers, b"x", now=NOW) == "evt_1"


@pytest.mark.parametrize(("change", "reason"), [
    (lambda h: h.pop("webhook-signature"), "missing_header"),
    (lambda h: h.pop("webhook-id"), "missing_header"),
    (lambda h: h.pop("webhook-timestamp"), "missing_header"),
    (lambda h: h.update({"webhook-timestamp": "17644968OO"}), "bad_timestamp"),
    (lambda h: h.update({"webhook-timestamp": "-1"}), "bad_timestamp"),
    (lambda h: h.update({"webhook-id": "evt_2"}), "bad_signature"),
    (lambda h: h.update({"webhook-signature": "v2," + h["webhook-signature"][3:]}),
     "bad_signature"),
    (lambda h: h.update({"webhook-signature": ""}), "bad_signature"),
])
def test_a_changed_or_missing_header_is_refused_with_its_reason(change, reason) -> None:
    headers = sign(OLD, "evt_1", NOW, b"{}")
    change(headers)
    with pytest.raises(WebhookSignatureError) as caught:
        verify(OLD, headers, b"{}", now=NOW)
    assert caught.value.reason == reason


def test_a_changed_body_or_another_secret_is_refused() -> None:
    headers = sign(OLD, "evt_1", NOW, b'{"a":1}')
    for secrets, sent in ((OLD, b'{"a":2}'), (NEW, b'{"a":1}')):
        with pytest.raises(WebhookSignatureError) as caught:
            verify(secrets, headers, sent, now=NOW)
        assert caught.value.reason == "bad_signature"


def test_the_timestamp_must_be_within_the_tolerance_either_way() -> None:
    headers = sign(OLD, "evt_1", NOW, b"{}")
    assert verify(OLD, headers, b"{}", now=NOW + 300) == "evt_1"
    assert verify(OLD, headers, b"{}", now=NOW - 300) == "evt_1"
    for now, reason in ((NOW + 301, "timestamp_too_old"), (NOW - 301, "timestamp_too_new")):
        with pytest.raises(WebhookSignatureError) as caught:
            verify(OLD, headers, b"{}", now=now)
        assert caught.value.reason == reason
    assert verify(OLD, headers, b"{}", now=NOW + 3000, tolerance=3600) == "evt_1"


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_" + "QUJD", ""])
def test_a_malformed_secret_is_a_clear_error(secret: str) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        secret_key(secret)
    assert caught.value.reason == "bad_secret"


@pytest.mark.parametrize("bad_id", ["", "evt.1", "evt 1", "evt\n1"])
def test_an_id_that_would_blur_the_signed_text_is_not_signed(bad_id: str) -> None:
    with pytest.raises(ValueError):
        sign(OLD, bad_id, NOW, b"{}")


def test_nothing_is_signed_or_verified_without_a_secret() -> None:
    with pytest.raises(ValueError):
        sign([], "evt_1", NOW, b"{}")
    with pytest.raises(WebhookSignatureError) as caught:
        verify([], sign(OLD, "evt_1", NOW, b"{}"), b"{}", now=NOW)
    assert caught.value.reason == "bad_secret"


def test_a_new_secret_is_whsec_of_32_bytes_from_the_given_source() -> None:
    secret = new_secret(lambda n: bytes(range(n)))
    assert secret == "whsec_" + base64.b64encode(bytes(range(32))).decode()
    assert secret_key(secret) == bytes(range(32))
    assert new_secret() != new_secret()


MSG = {"id": "01JDQ0000000000000000000AA", "priority": "thuong", "source": "000.00.01.H01",
       "size": 2048, "confirm_by": NOW + 3600, "title": "Công văn mật", "policy": {}}


def test_the_payload_is_the_event_as_the_websocket_carries_it_with_id_and_time() -> None:
    event = events.available(MSG, "000.00.02.H01", NOW)
    document = payload(event, "evt_01")
    assert document == {
        "type": "message.available", "id": "evt_01", "timestamp": "2025-11-30T10:00:00Z",
        "data": {"recipient": "000.00.02.H01", "message_id": MSG["id"], "priority": "thuong",
                 "at": NOW, "source": "000.00.01.H01", "size": 2048,
                 "confirm_by": NOW + 3600}}
    assert {**document["data"], "type": event.type} == events.as_dict(event)


def test_the_body_never_carries_a_title_or_content() -> None:
    event = events.available(MSG, "000.00.02.H01", NOW)
    sent = body(payload(event, "evt_01"))
    assert "Công văn".encode() not in sent and b"title" not in sent
    assert json.loads(sent) == payload(event, "evt_01")


def test_the_body_is_compact_utf8_json() -> None:
    event = events.presence(events.ONLINE, "000.00.02.H01", NOW)
    notice = events.notice({"text": "Bảo trì"}, NOW)
    assert body(payload(event, "evt_1")) == (
        b'{"type":"unit.online","id":"evt_1","timestamp":"2025-11-30T10:00:00Z",'
        b'"data":{"recipient":"000.00.02.H01","at":1764496800,"unit":"000.00.02.H01"}}')
    assert "Bảo trì".encode() in body(payload(notice, "evt_2"))


def test_an_event_id_that_cannot_be_a_header_is_refused() -> None:
    with pytest.raises(ValueError):
        payload(events.presence(events.ONLINE, "u", NOW), "evt.1")
