"""docs/webhooks.md's test vectors, read from the page itself: the hub's signer and the
client's verification helper both agree with them (issue 16, R-PROP-8), so the published
vectors cannot drift from the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.webhook_signing import WebhookSignatureError, sign, verify
from lgsp_client.webhooks import WebhookVerificationError, verify_webhook

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def vectors() -> list[dict[str, Any]]:
    block = DOC.read_text().split("<!-- webhook-vectors -->", 1)[1]
    return list(json.loads(block.split("```json", 1)[1].split("```", 1)[0]))


def headers(vector: dict[str, Any]) -> dict[str, str]:
    return {"webhook-id": vector["id"], "webhook-timestamp": str(vector["timestamp"]),
            "webhook-signature": vector["signature"]}


VALID = [v for v in vectors() if v["valid"]]
INVALID = [v for v in vectors() if not v["valid"]]


def test_the_page_has_the_vectors_it_promises() -> None:
    assert len(VALID) >= 3 and INVALID
    assert any(len(v["secrets"]) == 2 and len(v["signature"].split()) == 2 for v in VALID)
    assert all(v["reason"] == "bad_signature" for v in INVALID)


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_the_hub_signs_each_vector_as_published(vector: dict[str, Any]) -> None:
    signed = sign(vector["secrets"], vector["id"], vector["timestamp"],
                  vector["body"].encode())
    assert signed == headers(vector)


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_each_secret_alone_verifies_with_the_hub_and_the_client(vector: dict[str, Any]) -> None:
    for secret in vector["secrets"]:
        event = verify_webhook(secret, headers(vector), vector["body"].encode(),
                               now=vector["timestamp"])
        assert event == json.loads(vector["body"]) and event["id"] == vector["id"]
        assert verify([secret], headers(vector), vector["body"].encode(),
                      now=vector["timestamp"]) == vector["id"]


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v["name"])
def test_a_tampered_vector_fails_on_both_sides(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    with pytest.raises(WebhookVerificationError) as client_side:
        verify_webhook(vector["secrets"], headers(vector), body, now=vector["timestamp"])
    with pytest.raises(WebhookSignatureError) as hub_side:
        verify(vector["secrets"], headers(vector), body, now=vector["timestamp"])
    assert client_side.value.code == hub_side.value.reason == vector["reason"]
    assert sign(vector["secrets"], vector["id"], vector["timestamp"], body) != headers(vector)
