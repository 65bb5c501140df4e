"""The receiver's helper `lgsp_client.webhooks.verify_webhook` (issue 16, R-PROP-8): every
refusal has its code, and the module stands alone (an agency may copy it)."""

from __future__ import annotations

import ast
import base64
import json
from pathlib import Path

import pytest

from chalicelib.domain.webhook_signing import secret_from_key, sign
from lgsp_client import webhooks
from lgsp_client.webhooks import WebhookVerificationError, verify_webhook

SECRET, OTHER = secret_from_key(b"s" * 32), secret_from_key(b"t" * 32)
NOW = 1_764_496_800
EVENT = {"type": "unit.online", "id": "evt_1", "timestamp": "2025-11-30T10:00:00Z",
         "data": {"recipient": "000.00.02.H01", "at": NOW, "unit": "000.00.02.H01"}}
BODY = json.dumps(EVENT).encode()


def signed(body: bytes = BODY, msg_id: str = "evt_1", at: int = NOW) -> dict[str, str]:
    return sign(SECRET, msg_id, at, body)


def code_of(*args: object, **kwargs: object) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(*args, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_a_good_delivery_gives_its_event_from_bytes_or_text() -> None:
    assert verify_webhook(SECRET, signed(), BODY, now=NOW) == EVENT
    assert verify_webhook([OTHER, SECRET], signed(), BODY.decode(), now=NOW + 299) == EVENT
    upper = {k.title(): v for k, v in signed().items()}
    assert verify_webhook(SECRET, upper, BODY, now=NOW) == EVENT


def test_the_clock_defaults_to_now() -> None:
    import time
    fresh = sign(SECRET, "evt_1", int(time.time()), BODY)
    assert verify_webhook(SECRET, fresh, BODY)["id"] == "evt_1"
    assert code_of(SECRET, signed(), BODY) == "timestamp_too_old"  # NOW is in 2025


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(name: str) -> None:
    headers = signed()
    del headers[name]
    assert code_of(SECRET, headers, BODY, now=NOW) == "missing_header"


def test_refusals_each_have_their_code() -> None:
    assert code_of(SECRET, {**signed(), "webhook-timestamp": "1e9"}, BODY,
                   now=NOW) == "bad_timestamp"
    assert code_of(SECRET, signed(), BODY, now=NOW + 301) == "timestamp_too_old"
    assert code_of(SECRET, signed(), BODY, now=NOW - 301) == "timestamp_too_new"
    assert code_of(OTHER, signed(), BODY, now=NOW) == "bad_signature"
    assert code_of(SECRET, signed(), BODY + b" ", now=NOW) == "bad_signature"
    assert code_of(SECRET, {**signed(), "webhook-signature": "v1,ÿ"}, BODY,
                   now=NOW) == "bad_signature"
    assert code_of("whsec_??", signed(), BODY, now=NOW) == "bad_secret"
    assert code_of([], signed(), BODY, now=NOW) == "bad_secret"


def test_a_signed_body_that_is_not_this_deliverys_event_is_refused() -> None:
    for body in (b"not json", b"[1]", json.dumps({**EVENT, "id": "evt_2"}).encode()):
        assert code_of(SECRET, signed(body), body, now=NOW) == "bad_payload"


def test_a_secret_without_its_prefix_is_read_too() -> None:
    bare = base64.b64encode(b"s" * 32).decode()
    assert verify_webhook(bare, signed(), BODY, now=NOW) == EVENT


def test_the_helper_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(webhooks.__file__).read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "base64", "binascii", "hashlib", "hmac", "json", "time",
                       "collections", "typing"}
