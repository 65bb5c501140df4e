"""Verify a webhook the LGSP hub sent you (Standard Webhooks, standardwebhooks.com).

Standard library only and self-contained: copy this file into any Python 3.9+ app.

    from lgsp_client.webhooks import WebhookVerificationError, verify_webhook

    try:
        event = verify_webhook(SECRET, request.headers, request.body)
    except WebhookVerificationError as exc:
        return 400, exc.code           # not from the hub, changed, or replayed late
    if seen_before(event["id"]):      # at least once: drop what you already handled
        return 204
    handle(event["type"], event["data"])

Pass the raw body bytes exactly as received (before any JSON parsing), and during a
secret rotation a list of both secrets (any one that matches is enough).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """The delivery does not verify. `code` is one of `missing_header`, `bad_timestamp`,
    `timestamp_too_old`, `timestamp_too_new`, `bad_signature`, `bad_secret`,
    `bad_payload`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def verify_webhook(secret_or_secrets: str | Iterable[str], headers: Mapping[str, str],
                   body: bytes | str, *, tolerance: int = TOLERANCE_SECONDS,
                   now: int | None = None) -> dict[str, Any]:
    """Check the signature and the age of a delivery; return its event
    (`{"type", "id", "timestamp", "data"}`). Raise `WebhookVerificationError`."""
    keys = [_key(s) for s in ([secret_or_secrets] if isinstance(secret_or_secrets, str)
                              else secret_or_secrets)]
    if not keys:
        raise WebhookVerificationError("bad_secret", "no secret to verify with")
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id, stamp, offered = (_required(lowered, name) for name in
                              ("webhook-id", "webhook-timestamp", "webhook-signature"))
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    _check_age(stamp, int(time.time()) if now is None else now, tolerance)
    signed = msg_id.encode("utf-8") + b"." + stamp.encode("ascii") + b"." + raw
    wanted = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()) for k in keys]
    given = [part[3:].encode("ascii", "replace") for part in offered.split()
             if part.startswith("v1,")]
    if not any(hmac.compare_digest(w, g) for w in wanted for g in given):
        raise WebhookVerificationError("bad_signature", "no signature matches the secret")
    try:
        event = json.loads(raw)
    except ValueError as exc:
        raise WebhookVerificationError("bad_payload", "the body is not JSON") from exc
    if not isinstance(event, dict) or event.get("id") != msg_id:
        raise WebhookVerificationError("bad_payload", "the body is not this delivery's event")
    return event


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret[6:] if secret.startswith("whsec_") else secret,
                                validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("bad_secret", "a secret is whsec_<base64>") from exc


def _required(headers: Mapping[str, str], name: str) -> str:
    if name not in headers:
        raise WebhookVerificationError("missing_header", f"no {name} header")
    return headers[name]


def _check_age(stamp: str, now: int, tolerance: int) -> None:
    if not (stamp.isascii() and stamp.isdigit()):
        raise WebhookVerificationError("bad_timestamp", "webhook-timestamp is not seconds")
    if int(stamp) < now - tolerance:
        raise WebhookVerificationError("timestamp_too_old", "the delivery is too old")
    if int(stamp) > now + tolerance:
        raise WebhookVerificationError("timestamp_too_new", "the delivery is from the future")
