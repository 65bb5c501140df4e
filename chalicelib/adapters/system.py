"""The real clock and id generator (tests pass their own)."""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path


class SystemClock:
    def now(self) -> int:
        return int(time.time())


class OffsetClock:
    """The system clock moved by the whole seconds written in a file (0 if absent or
    empty): lets an end-to-end test or a drill move a running host's time forward to
    reach deadlines. Never configured in production."""

    def __init__(self, offset_file: str) -> None:
        self._path = Path(offset_file)

    def offset(self) -> int:
        try:
            text = self._path.read_text().strip()
        except FileNotFoundError:
            return 0
        return int(text) if text else 0

    def now(self) -> int:
        return int(time.time()) + self.offset()


class TimeOrderedIds:
    """32 lower-case hex chars: 48-bit milliseconds then 80 random bits.

    Sortable by creation time, and unguessable (authorisation never relies on that). Ids
    made by one process in the same millisecond still sort in the order they were made
    (the random part grows by a random step), so two trace or history lines written one
    after the other in the same second keep their order.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = (0, 0)

    def new_id(self) -> str:
        millis = time.time_ns() // 1_000_000
        with self._lock:
            last_millis, last_random = self._last
            if millis <= last_millis:
                millis = last_millis
                tail = last_random + 1 + secrets.randbelow(2**32)
                if tail >= 2**80:  # the millisecond is spent: borrow the next one
                    millis, tail = millis + 1, secrets.randbits(79)
            else:
                tail = secrets.randbits(80)
            self._last = (millis, tail)
        return f"{millis:012x}{tail:020x}"
