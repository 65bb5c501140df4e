"""The life of a message and of each of its deliveries, in one place (R-SEND-2..5,
R-RECV-2..3, R-PROP-3, R-JOIN-5): every state, every allowed change, the table condition
that guards it, and the answer when it is not allowed. Services load, ask this module,
write; nothing here does I/O.

A message::

    requested ──verify──► verified ──complete──► completed   (content deleted)
        │                    ▲
        ├──store──► checking ┤                               (edXML: the stored package
        │                    └──refuse──► refused             is read by the hub first;
        └────abandon────► abandoned                           refused: content deleted)
                                                             (abandoned: content never
                                                              arrived)

A delivery, one per destination, exists from the moment the message is verified and put
in that destination's inbox (before that every destination is `pending`, and stays
`abandoned` with an abandoned message)::

    available ──fetch──► fetched ──fetch again──► fetched
    available | fetched ──confirm──► confirmed   (the destination's SHA-256 matched)
                        ──reject───► rejected
                        ──expire───► expired     (the source's deadline passed)
                        ──move─────► moved       (re-organisation: the successor's
                                                  delivery takes over)

A message is complete when it has been delivered to every destination (`fanned_out`)
and no delivery is open any more; then its content is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import ConflictError
from .ports import Condition


class MessageState(StrEnum):
    REQUESTED = "requested"
    CHECKING = "checking"  # an edXML package stored and matching its checksum, being read
    VERIFIED = "verified"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    REFUSED = "refused"  # an edXML package whose header broke the rules: never delivered


class DeliveryState(StrEnum):
    PENDING = "pending"  # not stored: the message is not (yet) verified for anyone
    AVAILABLE = "available"
    FETCHED = "fetched"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    MOVED = "moved"
    ABANDONED = "abandoned"  # not stored: the content never arrived (or was refused)


OPEN = (DeliveryState.AVAILABLE, DeliveryState.FETCHED)
VERSION = 2  # messages written before (no `version`) had every delivery item from the
# start (`pending`) and one count of open deliveries on the message itself


def is_legacy(msg: dict[str, Any]) -> bool:
    return int(msg.get("version") or 1) < VERSION


@dataclass(frozen=True)
class Step:
    """One allowed change of state: from which states, to which, stamped when."""

    name: str
    sources: tuple[str, ...]
    target: str
    stamp: str | None = None

    def allows(self, state: str) -> bool:
        return state in self.sources

    def guard(self, **also: Any) -> Condition:
        """The table condition under which the change may be written (with `also`:
        attributes that must still have the value read)."""
        if len(self.sources) == 1:
            return Condition(equals={"state": self.sources[0], **also})
        return Condition(equals=also, one_of={"state": list(self.sources)})

    def changes(self, at: int, **extra: Any) -> dict[str, Any]:
        """The attributes the change sets."""
        out: dict[str, Any] = {"state": self.target, **extra}
        if self.stamp is not None:
            out[self.stamp] = at
        return out


M = MessageState
STORE = Step("store", (M.REQUESTED,), M.CHECKING, "stored_at")
VERIFY = Step("verify", (M.REQUESTED, M.CHECKING), M.VERIFIED, "verified_at")
REFUSE = Step("refuse", (M.CHECKING,), M.REFUSED, "refused_at")
COMPLETE = Step("complete", (M.VERIFIED,), M.COMPLETED, "completed_at")
ABANDON = Step("abandon", (M.REQUESTED,), M.ABANDONED, "abandoned_at")

D = DeliveryState
FETCH = Step("fetch", (D.AVAILABLE,), D.FETCHED, "first_fetched_at")
FETCH_AGAIN = Step("fetch again", (D.FETCHED,), D.FETCHED, "last_fetched_at")
CONFIRM = Step("confirm", OPEN, D.CONFIRMED, "confirmed_at")
REJECT = Step("reject", OPEN, D.REJECTED, "rejected_at")
EXPIRE = Step("expire", OPEN, D.EXPIRED, "expired_at")
MOVE = Step("move", OPEN, D.MOVED, "moved_at")
CLOSING = {s.target: s for s in (CONFIRM, REJECT, EXPIRE)}

# After a restore from a backup (docs/deploy.md, "Backup and restore") the table may name
# content the store no longer holds: content is transient and never backed up. Such a
# message ends as a deadline would end it, with this reason, instead of waiting for it.
CONTENT_LOST = "content_lost"


def ending_for_lost_content(message_state: str) -> Step | None:
    """What ends a message whose content (or, still uploading, whose upload) is gone from
    the store: each open delivery of a verified message expires (reason `content_lost`),
    then the message completes like any other; a message still `requested` is abandoned
    as the sweeper abandons an upload that never arrived. None: the message is over."""
    if message_state == M.VERIFIED:
        return EXPIRE
    if message_state == M.REQUESTED:
        return ABANDON
    return None


def fetch_step(delivery_state: str) -> Step:
    """The first fetch changes the state; later ones (fresh URLs for a resumed or slow
    download) only count."""
    return FETCH if delivery_state == D.AVAILABLE else FETCH_AGAIN


def refusal(step: Step, delivery_state: str, message_state: str,
            reason: str | None = None) -> ConflictError | None:
    """Why a destination may not take `step` now (None: it may). A step already taken
    (confirming a confirmed delivery) is no refusal: the caller answers it as done.
    `reason`: why the delivery ended, when not by its deadline (`CONTENT_LOST`)."""
    if step.target == delivery_state and step.target in CLOSING:
        return None
    if message_state == M.VERIFIED and step.allows(delivery_state):
        return None
    if delivery_state == D.CONFIRMED:
        return ConflictError("This message was already confirmed.", code="already_confirmed")
    if delivery_state == D.REJECTED:
        return ConflictError("This message was already rejected.", code="already_rejected")
    if delivery_state == D.EXPIRED and reason == CONTENT_LOST:
        return ConflictError("The content of this message was lost with the store (the hub "
                             "was restored from a backup); the source was told and may send "
                             "it again.", code="expired")
    if delivery_state == D.EXPIRED:
        return ConflictError("The deadline of this message passed; its content is deleted.",
                             code="expired")
    return ConflictError("The content of this message is not available.", code="not_available")


def already_done(step: Step, delivery_state: str) -> bool:
    """Confirming or rejecting twice answers the first outcome (idempotent by state)."""
    return step.target in CLOSING and delivery_state == step.target


def unstored_state(message_state: str) -> DeliveryState:
    """The state of a destination that has no delivery item yet."""
    return D.ABANDONED if message_state in (M.ABANDONED, M.REFUSED) else D.PENDING


def needs_check(protocol: str) -> bool:
    """Whether the hub reads the stored content before delivering it: an edXML package's
    header is checked against the standard's rules (docs/edxml.md)."""
    return protocol == "edxml"


def held(msg: dict[str, Any], now: int) -> bool:
    """Whether a verified message is held back from its destinations: Priority 4 of the
    national standard, express at a set time, is delivered at `deliver_at`, not before."""
    deliver_at = msg.get("deliver_at")
    return deliver_at is not None and now < int(deliver_at)


def was_held(msg: dict[str, Any]) -> bool:
    """Whether a verified message's set time came after its verification (so none of its
    destinations was written with the verification)."""
    return int(msg.get("deliver_at") or 0) > int(msg["verified_at"])


def available_from(msg: dict[str, Any]) -> int:
    """When a verified message reaches its destinations' inboxes: at verification, or at
    the set time of a held message (its inbox order counts from then)."""
    return max(int(msg.get("deliver_at") or 0), int(msg["verified_at"]))


# Fan-out: a message is put in its destinations' inboxes in batches, each one
# transaction (a delivery and an inbox entry per destination, and the batch's count of
# open deliveries), so a broadcast to every commune of the province is as safe as a
# message to one unit: a crash leaves whole batches, and the next attempt writes the rest.
FIRST_BATCH = 40  # written with the verification itself (≤ 100 items a transaction)
BATCH = 45


def inbox_sort_key(priority_rank: int, available_at: int, message_id: str) -> str:
    """Inbox order: priority first (Hỏa tốc first), then age, then id."""
    return f"{priority_rank}#{available_at:012d}#{message_id}"


def batches(units: Sequence[str]) -> list[tuple[str, ...]]:
    """The destinations in fan-out batches: the first with the verification, then the
    rest; batch `n` counts its open deliveries in its own item (`LEFT#n`), so closing
    deliveries of a broadcast does not contend on one counter."""
    out = [tuple(units[:FIRST_BATCH])]
    rest = units[FIRST_BATCH:]
    out += [tuple(rest[i:i + BATCH]) for i in range(0, len(rest), BATCH)]
    return out


# What one party can add to a message's trace is bounded: a destination that fetches a
# hundred times (fresh URLs for a slow download) adds one `fetched` line, and failed
# fetches or refused uploads are traced up to a cap (they are always counted).
TRACE_CAP = 5
REROUTE_LINES = 10  # addresses rerouted at sending beyond this share one summary line


def traced(count_before: int) -> bool:
    """Whether the next failed fetch or refused upload still gets a trace line."""
    return count_before < TRACE_CAP


@dataclass(frozen=True)
class TraceLine:
    at: int
    event: str
    unit: str | None
    detail: str | None = None


def destination_trace(msg: dict[str, Any], delivery: dict[str, Any] | None) -> list[TraceLine]:
    """What a destination sees of a message's trace: the message's own steps and its own
    delivery's, rebuilt from their times (it never reads other destinations' lines)."""
    source = msg["source"]
    lines = [TraceLine(msg["created_at"], "requested", source)]
    if msg.get("verified_at"):
        lines.append(TraceLine(msg["verified_at"], "verified", source))
    if delivery is not None:
        unit = delivery["unit"]
        if delivery.get("addressed_to"):
            lines.append(TraceLine(delivery.get("moved_in_at") or delivery["available_at"],
                                   "rerouted", unit, f"{delivery['addressed_to']} → {unit}"))
        for stamp, event in (("first_fetched_at", "fetched"), ("warned_at", "waiting")):
            if delivery.get(stamp):
                lines.append(TraceLine(delivery[stamp], event, unit))
        closing = next((s for s in CLOSING.values() if delivery["state"] == s.target), None)
        if closing is not None and closing.stamp and delivery.get(closing.stamp):
            lines.append(TraceLine(delivery[closing.stamp], closing.target, unit,
                                   delivery.get("reason")))
    if msg.get("content_deleted_at"):
        lines.append(TraceLine(msg["content_deleted_at"], "content_deleted", None))
    return sorted(lines, key=lambda line: line.at)
