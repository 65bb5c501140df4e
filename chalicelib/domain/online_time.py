"""A unit's WebSocket sessions and online time over a period, from its presence lines
(R-PROP-12; `keys.presence_history`: `connected` / `disconnected` lines with the
connection's id and app, `online` / `offline` lines of the unit).

A session is one connection: from its `connected` line to its `disconnected` line. The
lines of the period are not always enough, so `Ledger` is fed three readings:
- `window`: the lines of the period (so far), oldest first;
- `earlier`: the lines before it, newest first, for the sessions already open when the
  period began (`wants_earlier`: until the unit's last `offline` line before the period,
  when no connection was open, and until every session closed in the period has its
  start);
- `later`: the lines after it, oldest first, for the sessions still open when the period
  ended (`wants_later`: until each has its `disconnected` line or is live now).
A connection that vanished without its `disconnected` line (its record expired before a
sweep closed it) ends at the unit's next `offline` line.

The unit's online time is the union of its sessions (several apps, overlapping), clipped
to the period and to now; availability is that time over the period's time so far.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CONNECTED, DISCONNECTED, OFFLINE = "connected", "disconnected", "offline"


@dataclass
class Session:
    connection_id: str
    app: str | None
    connected_at: int | None  # None: its line is older than every line kept (400 days)
    disconnected_at: int | None = None  # None: no `disconnected` line read


@dataclass
class Ledger:
    """The sessions of the period [start, stop) (stop: the period's end, or now)."""

    start: int
    stop: int
    sessions: dict[str, Session] = field(default_factory=dict)
    connects: int = 0
    _closed_before: set[str] = field(default_factory=set)
    _passed_offline: bool = False
    _offlines: list[int] = field(default_factory=list)  # `offline` lines from the period on

    def window(self, lines: Iterable[dict[str, Any]]) -> None:
        for line in lines:
            event, cid = line["event"], line.get("connection_id")
            if event == CONNECTED and cid:
                self.sessions[cid] = Session(cid, line.get("app"), line["at"])
                self.connects += 1
            elif event == DISCONNECTED and cid:
                found = self.sessions.setdefault(cid, Session(cid, line.get("app"), None))
                found.disconnected_at = line["at"]
            elif event == OFFLINE:
                self._offline(line["at"])

    def earlier(self, lines: Iterable[dict[str, Any]]) -> None:
        """Lines before the period, newest first."""
        for line in lines:
            event, cid = line["event"], line.get("connection_id")
            if event == DISCONNECTED and cid and cid not in self.sessions:
                self._closed_before.add(cid)
            elif event == CONNECTED and cid:
                known = self.sessions.get(cid)
                if known is not None and known.connected_at is None:
                    known.connected_at = line["at"]
                elif (known is None and cid not in self._closed_before
                      and not self._passed_offline):
                    self.sessions[cid] = Session(cid, line.get("app"), line["at"])
            elif event == OFFLINE:
                self._passed_offline = True

    def later(self, lines: Iterable[dict[str, Any]]) -> None:
        """Lines after the period, oldest first."""
        for line in lines:
            event, cid = line["event"], line.get("connection_id")
            if event == DISCONNECTED and cid in self.sessions:
                self.sessions[cid].disconnected_at = line["at"]
            elif event == OFFLINE:
                self._offline(line["at"])

    def _offline(self, at: int) -> None:
        self._offlines.append(at)

    def end(self, session: Session, live: set[str]) -> int | None:
        """When the session ended: its `disconnected` line, else (not live now) the
        unit's next `offline` line; None while it is open."""
        if session.disconnected_at is not None or session.connection_id in live:
            return session.disconnected_at
        begin = session.connected_at or self.start
        return next((at for at in self._offlines if at >= begin), None)

    def _bounds(self, session: Session, live: set[str]) -> tuple[int, int]:
        """The part of [start, stop) the session covers (empty when end <= begin)."""
        begin = self.start if session.connected_at is None else max(self.start,
                                                                    session.connected_at)
        end = self.end(session, live)
        return begin, self.stop if end is None else min(end, self.stop)

    @property
    def wants_earlier(self) -> bool:
        unknown_start = any(s.connected_at is None for s in self.sessions.values())
        return not self._passed_offline or unknown_start

    def wants_later(self, live: set[str]) -> bool:
        """Whether a session that is not live has no end yet."""
        return any(self.end(s, live) is None and s.connection_id not in live
                   for s in self.sessions.values())

    def seconds(self, session: Session, live: set[str]) -> int:
        begin, end = self._bounds(session, live)
        return max(0, end - begin)

    def online_seconds(self, live: set[str]) -> int:
        """The union of every session's part of the period."""
        spans = sorted(self._bounds(s, live) for s in self.sessions.values())
        total, reach = 0, self.start
        for begin, end in spans:
            counted_from = max(begin, reach)
            if end > counted_from:
                total += end - counted_from
                reach = end
        return total

    def listed(self) -> list[Session]:
        """The sessions, by when they connected (unknown first), then by id."""
        return sorted(self.sessions.values(),
                      key=lambda s: (s.connected_at or 0, s.connection_id))
