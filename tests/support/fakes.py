"""Small fakes for the clock, ids and the WebSocket gateway, so tests need no patching."""

from __future__ import annotations

import itertools
import json
import secrets
from collections import defaultdict
from typing import Any

from chalicelib.domain.errors import ConnectionGoneError


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


class FakeConnections:
    """The gateway's management API as a recorder: frames posted per connection, ids that
    are gone (posting to them raises, as API Gateway answers 410), ids closed."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.gone: set[str] = set()
        self.closed: list[str] = []

    def post(self, endpoint: str, connection_id: str, data: bytes) -> None:
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        self.frames[connection_id].append(json.loads(data))

    def close(self, endpoint: str, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)

    def types(self, connection_id: str) -> list[str]:
        return [f["type"] for f in self.frames[connection_id]]
