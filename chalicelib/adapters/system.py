"""The real clock and id generator (tests pass their own)."""

from __future__ import annotations

import secrets
import time


class SystemClock:
    def now(self) -> int:
        return int(time.time())


class TimeOrderedIds:
    """26 lower-case hex chars: 48-bit milliseconds then 80 random bits.

    Sortable by creation time, and unguessable (authorisation never relies on that).
    """

    def new_id(self) -> str:
        millis = time.time_ns() // 1_000_000
        return f"{millis:012x}{secrets.token_hex(10)}"
