"""Maintenance notices (R-OPS-4): the IT department tells every unit, before it happens,
that a part of the platform will be down or degraded. Pure rules, no clock: every
function takes the time it is asked about.

A notice has a title (one line, at most 200 characters), a body (plain text, at most
4,000 characters: never HTML, so nothing that looks like a tag is taken), a severity, the
services it affects (from `SERVICES`), and a window `[starts_at, ends_at)` in epoch
seconds. Its state is read from the clock, never stored: `upcoming` before the window,
`active` in it, `ended` after it, `cancelled` once an operator called it off (whatever
the time). A notice is *current* (what apps and the console's banner show) while it is
active, or upcoming within `HORIZON_SECONDS` (7 days).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidRequestError

SEVERITIES = ("info", "maintenance", "outage")
# The parts of the platform a notice can name; `all` is the whole hub.
SERVICES = ("exchange", "realtime", "directory", "registry", "sso", "sessions", "reports",
            "console", "all")
ALL = "all"
UPCOMING, ACTIVE, ENDED, CANCELLED = "upcoming", "active", "ended", "cancelled"
STATES = (UPCOMING, ACTIVE, ENDED, CANCELLED)

MAX_TITLE = 200
MAX_BODY = 4000
HOUR, DAY = 3600, 86400
PAST_GRACE_SECONDS = HOUR  # a notice may be published up to an hour after it started
MAX_WINDOW_SECONDS = 30 * DAY
MAX_AHEAD_SECONDS = 365 * DAY  # announced at most a year ahead
HORIZON_SECONDS = 7 * DAY  # upcoming notices shown this far ahead
MAX_OPEN = 50  # notices not yet ended at once: bounds the current view's one query

# Markup is refused rather than escaped: a notice reaches apps that may show it in their
# own pages, and plain text needs no `<` directly before a letter, `/`, `!` or `?`.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are text
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")


def check_window(starts_at: int, ends_at: int, now: int) -> None:
    """A window ends after it starts, lasts at most 30 days, starts at most an hour ago
    and at most a year ahead. Raises 400 `invalid_notice_window` saying which rule."""
    if ends_at <= starts_at:
        raise InvalidRequestError("ends_at must be after starts_at.",
                                  code="invalid_notice_window")
    if ends_at - starts_at > MAX_WINDOW_SECONDS:
        raise InvalidRequestError("A notice's window lasts at most 30 days.",
                                  code="invalid_notice_window")
    if starts_at < now - PAST_GRACE_SECONDS:
        raise InvalidRequestError("starts_at may be at most one hour in the past.",
                                  code="invalid_notice_window")
    if starts_at > now + MAX_AHEAD_SECONDS:
        raise InvalidRequestError("starts_at may be at most a year ahead.",
                                  code="invalid_notice_window")


def check_text(field: str, text: str, *, one_line: bool) -> None:
    """Plain text only: no markup, no control characters (a title is also one line).
    Raises 400 `invalid_notice_text` naming the field."""
    if _MARKUP.search(text):
        raise InvalidRequestError(f"{field} is plain text: no HTML or other markup "
                                  "(a '<' followed by a letter, '/', '!' or '?').",
                                  code="invalid_notice_text", field=field)
    if (_CONTROL_IN_LINE if one_line else _CONTROL).search(text):
        what = "line breaks or control characters" if one_line else "control characters"
        raise InvalidRequestError(f"{field} may not hold {what}.",
                                  code="invalid_notice_text", field=field)


def affected(services: Iterable[str]) -> list[str]:
    """The services named, once each, in the vocabulary's order; `all` covers the others,
    so it stands alone."""
    named = set(services)
    if ALL in named or not named:
        return [ALL]
    return [s for s in SERVICES if s in named]


def state_at(notice: Mapping[str, Any], at: int) -> str:
    """`cancelled` whatever the time, else where `at` falls in the window."""
    if notice.get("cancelled_at") is not None:
        return CANCELLED
    if at >= notice["ends_at"]:
        return ENDED
    return ACTIVE if at >= notice["starts_at"] else UPCOMING


def is_current(notice: Mapping[str, Any], at: int) -> bool:
    """Active, or upcoming within the horizon."""
    state = state_at(notice, at)
    return state == ACTIVE or (state == UPCOMING
                               and notice["starts_at"] <= at + HORIZON_SECONDS)


def current(notices: Iterable[Mapping[str, Any]], at: int) -> list[Mapping[str, Any]]:
    """The current notices, active ones first, then by start, then by id."""
    shown = [n for n in notices if is_current(n, at)]
    return sorted(shown, key=lambda n: (state_at(n, at) != ACTIVE, n["starts_at"], n["id"]))


def current_ends_between(at: int) -> tuple[int, int]:
    """The `ends_at` of every notice that can be current at `at`: not ended, and starting
    within the horizon, so ending within the horizon plus the longest window."""
    return at, at + HORIZON_SECONDS + MAX_WINDOW_SECONDS


def may_cancel(notice: Mapping[str, Any], at: int) -> bool:
    """Upcoming and active notices can be called off; an ended one is history."""
    return state_at(notice, at) in (UPCOMING, ACTIVE)
