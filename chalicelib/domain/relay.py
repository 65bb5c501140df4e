"""The relay of messages between hubs (issue 15, R-PROP-10; docs/federation.md, "The
relay"). Pure rules: what the origin hands a peer, when it tries again, what a peer's
report of a destination's outcome means at the origin. No I/O.

The origin hub keeps the content; the peer hub gets a presigned GET of the origin's store
(the remote destination downloads straight from the origin: the bytes move once) and the
message's facts, and puts the message in its own units' inboxes. Each outcome at a remote
destination (fetched, confirmed, rejected, expired, a status reply) is reported back to
the origin, which records it as it would a local destination's, with the hop (which hub,
when), tells its source, and deletes the content when every destination is done.
"""

from __future__ import annotations

import hashlib
from typing import Any

RELAY, REPORT = "relay", "report"  # due work: hand a message to a peer; report back
COPY = "copy"  # due work: copy a relayed message's content into our store (copy mode)
DIRECT, COPIED = "direct", "copy"  # a peer's `content`: how our units get its messages

# Back-off between attempts to reach a peer that is down: 15 s, 30 s, 1 min, ... 30 min,
# with jitter from the message id so many messages to one peer do not retry in step.
FIRST_RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 1800

# A presigned GET of the origin's store lives at most 7 days (SigV4's limit); the peer
# asks the origin for a fresh one when it has passed (`content-url`).
MAX_CONTENT_URL_SECONDS = 7 * 86400

# What a peer may report of a destination, and the step it is at the origin.
REPORTED = ("fetched", "confirmed", "rejected", "expired", "status")


def retry_after(attempts: int, message_id: str) -> int:
    """Seconds before attempt `attempts + 1` (attempts ≥ 1 failed so far)."""
    base = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    jitter = int(hashlib.sha256(f"{message_id}:{attempts}".encode()).hexdigest()[:4], 16)
    return base + jitter % max(base // 5, 1)


def inbound_id(peer: str, origin_id: str) -> str:
    """The id a relayed message has at the receiving hub: one per (peer, origin's id), so
    a relay repeated after a lost answer finds the message it created (idempotent)."""
    return hashlib.sha256(f"{peer}\x00{origin_id}".encode()).hexdigest()[:32]


def content_url_seconds(now: int, confirm_by: int) -> int:
    """How long the presigned GET handed to a peer lives: until the deadline, within the
    store's limit, and at least a minute."""
    return max(60, min(confirm_by - now, MAX_CONTENT_URL_SECONDS))


def relay_body(msg: dict[str, Any], units: list[str], *, hub: str, now: int,
               content: dict[str, Any]) -> dict[str, Any]:
    """What the origin sends a peer for `units` (its own units among the destinations):
    the message's facts, never its content, and where to download it."""
    return {
        "origin_id": msg["id"], "source": msg["source"], "to": units,
        "title": msg["title"], "priority": msg["priority"], "data_type": msg["data_type"],
        "protocol": msg["protocol"], "size": msg["size"], "sha256": msg["sha256"],
        "content_type": msg["content_type"], "file_name": msg["file_name"],
        "created_at": msg["created_at"], "confirm_by": msg["confirm_by"],
        "deliver_at": msg.get("deliver_at"), "edxml": msg.get("edxml"),
        "content": content, "hops": [{"hub": hub, "at": now, "event": "relayed"}],
    }


def hop_detail(peer: str, hops: list[dict[str, Any]]) -> str:
    """The trace line's detail for an outcome a peer reported: which hubs, when."""
    path = " → ".join(f"{h.get('hub')}@{h.get('at')}" for h in hops[-3:])
    return f"via {peer}" + (f" ({path})" if path else "")
