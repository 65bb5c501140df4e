"""The real clock and id generator (tests pass their own)."""

from __future__ import annotations

import secrets
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
    """26 lower-case hex chars: 48-bit milliseconds then 80 random bits.

    Sortable by creation time, and unguessable (authorisation never relies on that).
    """

    def new_id(self) -> str:
        millis = time.time_ns() // 1_000_000
        return f"{millis:012x}{secrets.token_hex(10)}"
