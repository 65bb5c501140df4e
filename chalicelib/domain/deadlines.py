"""When the sweeper acts (R-PROP-4, R-PROP-9): pure rules over times, no I/O.

Work that falls due is written to a per-day partition when the message changes state
(`DUE#yyyy-mm-dd`, sorted by due time); the sweeper walks the days from its cursor to today
and handles what is due, so no sweep scans the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

UPLOAD, DEADLINE, WAITING, REORG = "upload", "deadline", "waiting", "reorg"
FANOUT = "fanout"  # a broadcast whose fan-out did not finish: the sweeper finishes it
FANOUT_RESUME_SECONDS = 120
CHECK = "check"  # an edXML package stored: the hub reads it (docs/edxml.md)


def fanout_due(verified_at: int, deliver_at: int | None) -> int:
    """When the sweeper looks at a fan-out: a held message (Priority 4) at its set time,
    any other a little after its verification, in case the fan-out was interrupted."""
    if deliver_at is not None and deliver_at > verified_at:
        return deliver_at
    return verified_at + FANOUT_RESUME_SECONDS
FIRST_LOOK_BACK_DAYS = 30  # with no cursor yet, the first sweep looks this far back


def day_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def next_day(day_text: str) -> str:
    return (date.fromisoformat(day_text) + timedelta(days=1)).isoformat()


def first_day(now: int) -> str:
    return day_of(now - FIRST_LOOK_BACK_DAYS * 86400)


def upload_due(created_at: int, confirm_by: int, abandon_after: int) -> int:
    """A message whose content never arrived is abandoned at its deadline or after
    `abandon_after`, whichever comes first."""
    return min(created_at + abandon_after, confirm_by)


@dataclass(frozen=True)
class WaitingVerdict:
    warn: bool
    next_check: int | None  # None: nothing more to check for this destination


def waiting_verdict(*, now: int, available_at: int, online: bool, offline_since: int | None,
                    limit: int, confirm_by: int) -> WaitingVerdict:
    """Whether the source must be warned that a destination has been offline longer than
    `limit` while its message waits, and if not, when to look again.

    The offline time that counts is the part that overlaps the wait: a unit never seen
    online, or offline since before the message arrived, counts from `available_at`.
    An online unit that does not fetch is not an offline problem; it is looked at again
    one `limit` later (it may go offline meanwhile). Nothing is checked past the deadline,
    which has its own event (`message.expired`).
    """
    if online:
        check = now + limit
        return WaitingVerdict(False, check if check < confirm_by else None)
    start = max(offline_since if offline_since is not None else available_at, available_at)
    if now - start >= limit:
        return WaitingVerdict(True, None)
    check = start + limit
    return WaitingVerdict(False, check if check < confirm_by else None)
