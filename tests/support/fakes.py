"""Small fakes for the clock and ids, so tests need no patching."""

from __future__ import annotations

import itertools
import secrets


class FakeClock:
    def __init__(self, start: int = 1_795_000_000) -> None:
        self.value = start

    def now(self) -> int:
        return self.value

    def advance(self, seconds: int) -> None:
        self.value += seconds


class CountingIds:
    """Time-ordered-looking hex ids: a counter then random bits."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self) -> str:
        return f"{next(self._n):012x}{secrets.token_hex(10)}"
