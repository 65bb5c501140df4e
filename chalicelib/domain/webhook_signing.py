"""Signing webhook deliveries with the Standard Webhooks scheme (standardwebhooks.com).

Each delivery carries three headers: `webhook-id` (the event's id, the same on every retry,
so a receiver drops duplicates), `webhook-timestamp` (whole seconds since the epoch, when
this attempt was signed) and `webhook-signature`: `v1,<base64 HMAC-SHA256>` of
`"{id}.{timestamp}.{body}"` under the endpoint's secret. During a secret rotation the hub
signs with the old and the new secret, and the header holds both, space-separated; a
receiver accepts the delivery when any one matches a secret it holds.

A secret is `whsec_` followed by the base64 of its key bytes (the scheme's own form, so
every Standard Webhooks library reads it). Pure: the caller gives the time.

    headers = sign("whsec_...", "evt_1", 1764496800, body)
    verify(["whsec_..."], headers, body, now=1764496810)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = (
    "webhook-id", "webhook-timestamp", "webhook-signature")
VERSION = "v1"
TOLERANCE_SECONDS = 300
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64  # the scheme's bounds on a secret's key


class WebhookSignatureError(Exception):
    """A delivery that does not verify. `reason` is stable: `missing_header`,
    `bad_timestamp`, `timestamp_too_old`, `timestamp_too_new`, `bad_signature`,
    `bad_secret`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_<base64>` secret (the prefix may be left out, as the
    scheme allows)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookSignatureError("bad_secret", "the secret is not whsec_<base64>") from exc
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise WebhookSignatureError(
            "bad_secret", f"a secret's key has {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return key


def secret_from_key(key: bytes) -> str:
    """The `whsec_` form of key bytes (for a new secret drawn by the caller)."""
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"a secret's key has {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def valid_id(msg_id: str) -> bool:
    """An id a delivery may carry: non-empty, without the `.` that separates the signed
    parts, spaces or line breaks (it travels in a header)."""
    return bool(msg_id) and not any(c in msg_id for c in ". \r\n")


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of the delivery under one secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def sign(secrets: str | Iterable[str], msg_id: str, timestamp: int,
         body: bytes) -> dict[str, str]:
    """The three headers of a delivery, signed with every secret given (one, or the old
    and the new one during a rotation)."""
    chosen = [secrets] if isinstance(secrets, str) else list(secrets)
    if not chosen:
        raise ValueError("at least one secret signs a delivery")
    if not valid_id(msg_id):
        raise ValueError("a webhook id is non-empty, without dots, spaces or line breaks")
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: " ".join(signature(s, msg_id, timestamp, body) for s in chosen)}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookSignatureError("missing_header", f"the {name} header is missing")


def verify(secrets: str | Iterable[str], headers: Mapping[str, str], body: bytes, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """Check a delivery; return its `webhook-id`. Raise `WebhookSignatureError` when a
    header is missing, the timestamp is more than `tolerance` seconds from `now` (a
    replay, or a clock far off), or no `v1` signature matches any of `secrets`."""
    chosen = [secrets] if isinstance(secrets, str) else list(secrets)
    if not chosen:
        raise WebhookSignatureError("bad_secret", "no secret to verify with")
    msg_id = _header(headers, ID_HEADER)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    offered = _header(headers, SIGNATURE_HEADER).split()
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        raise WebhookSignatureError("bad_timestamp", "webhook-timestamp is not whole seconds")
    timestamp = int(raw_timestamp)
    if timestamp < now - tolerance:
        raise WebhookSignatureError("timestamp_too_old", "webhook-timestamp is too old")
    if timestamp > now + tolerance:
        raise WebhookSignatureError("timestamp_too_new", "webhook-timestamp is in the future")
    for secret in chosen:
        expected = signature(secret, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected.encode(), sig.encode()) for sig in offered):
            return msg_id
    raise WebhookSignatureError("bad_signature", "no signature matches")
