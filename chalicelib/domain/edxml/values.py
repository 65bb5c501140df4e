"""The values a message takes from its edXML header: title, priority, when it may be
delivered, deadline, and destinations. Read them from a package `rules.problems` passed.

Priority 4, "Hỏa tốc hẹn giờ" (express at a set time), has no hub priority of its own: it
is Hỏa tốc (`Priority.HOA_TOC`) held until `deliver_at`, the time carried by
`MessageHeader/DueDate` (`2026/12/01 14:00:00`; a bare date is refused by the rules for
Priority 4). Such a package has no separate deadline. For Priorities 0-3, DueDate is the
deadline: a date means the end of that day in Vietnam, a time that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..priority import Priority
from .dates import end_of_day, parse_date, parse_time
from .models import Package

AT_A_SET_TIME = "4"


@dataclass(frozen=True)
class MessageValues:
    title: str
    priority: Priority
    deliver_at: datetime | None  # Priority 4 only: not delivered before
    deadline: datetime | None
    destinations: tuple[str, ...]


def message_values(package: Package) -> MessageValues:
    """The message's values from a valid package (ValueError if the header is absent)."""
    h = package.header
    if h is None or h.subject is None or h.other_info is None:
        raise ValueError("the package has no usable header: check rules.problems first")
    code = h.other_info.priority or "0"
    due_time = parse_time(h.due_date)
    due_day = parse_date(h.due_date)
    if code == AT_A_SET_TIME:
        return MessageValues(h.subject, Priority.HOA_TOC, due_time, None, destinations(package))
    deadline = due_time or (end_of_day(due_day) if due_day else None)
    return MessageValues(h.subject, Priority(code), None, deadline, destinations(package))


def destinations(package: Package) -> tuple[str, ...]:
    """The units of the To list, in order, each once: the message's destinations when it
    names none itself."""
    h = package.header
    seen = dict.fromkeys(t.organ_id for t in (h.to if h else ()) if t.organ_id)
    return tuple(seen)
