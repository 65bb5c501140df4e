"""What authenticating a signed call reads, kept in the process for a few seconds
(issue 17, R-COMP-4; docs/auth-protocol.md, "How soon a revocation takes effect").

Every signed call needs its access key, the key's unit and its app (three reads). A warm
function or a host answers many calls of the same few apps, so these are kept here, per
process, for `LGSP_AUTH_CACHE_SECONDS` (5 s by default; 0: read every time), and read
again after that. The bound this gives is stated and tested: a key revoked, an app
cancelled or a unit suspended on any host stops authenticating on every host within that
many seconds, and at once on the host that made the change (`forget`). The nonce is
still written on every call, so a replay is refused at once, cached key or not.

The entry keeps the key's item and the statuses read with it, never a decision: whether
the key is usable is worked out on each call from the time of that call (a retiring key
past its `valid_until` stops at that second).

Beside the keys, the units found to have an active app to receive with (the check after
each delivery, R-PROP-9: `registry.has_receiving_app`), for as long and forgotten on the
same changes. Only that positive answer is kept: a unit without one is read every time,
so an app registered anywhere is seen at once, while an app cancelled elsewhere delays,
by at most the bound, telling a source that its destination has no app to receive.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

Item = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    read_at: int
    item: Item
    unit: Item | None
    app: Item | None
    material: bytes


class AuthCache:
    """Per process, bounded: at most `MAX_ENTRIES` keys (the oldest read dropped first)."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._receivers: dict[str, int] = {}  # unit code → when its active app was read

    def get(self, key_id: str, now: int, seconds: int) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key_id)
        if entry is None or not 0 <= now - entry.read_at < seconds:
            return None
        return entry

    def put(self, key_id: str, entry: Entry) -> None:
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES and key_id not in self._entries:
                oldest = min(self._entries, key=lambda k: self._entries[k].read_at)
                del self._entries[oldest]
            self._entries[key_id] = entry

    def stamped(self, key_id: str, at: int) -> None:
        """The key's use was just recorded: the cached item says so too."""
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is not None:
                self._entries[key_id] = Entry(entry.read_at, {**entry.item, "last_used_at": at},
                                              entry.unit, entry.app, entry.material)

    def receives(self, unit: str, now: int, seconds: int) -> bool:
        """Whether `unit` was read with an active app to receive less than `seconds` ago."""
        with self._lock:
            read_at = self._receivers.get(unit)
        return read_at is not None and 0 <= now - read_at < seconds

    def saw_receiver(self, unit: str, now: int) -> None:
        with self._lock:
            if len(self._receivers) >= self.MAX_ENTRIES and unit not in self._receivers:
                del self._receivers[min(self._receivers, key=self._receivers.__getitem__)]
            self._receivers[unit] = now

    def forget(self) -> None:
        """Drop everything: this process changed a key, an app or a unit."""
        with self._lock:
            self._entries.clear()
            self._receivers.clear()
