"""Wire shapes of presence (R-PROP-9, R-PROP-12) and of WebSocket tickets."""

from __future__ import annotations

from typing import Literal

from .model import Model


class ConnectionView(Model):
    connection_id: str
    app: str
    connected_at: str
    last_seen: str


class PresenceView(Model):
    unit: str
    state: Literal["online", "offline", "never_connected"]
    since: str | None = None
    connections: list[ConnectionView]


class PresenceEvent(Model):
    at: str
    event: Literal["connected", "disconnected", "online", "offline"]
    connection_id: str | None = None
    app: str | None = None
    detail: str | None = None


class PresenceHistory(Model):
    unit: str
    items: list[PresenceEvent]
    next_cursor: str | None = None


class OnlineUnit(Model):
    unit: str
    since: str


class OnlineUnits(Model):
    items: list[OnlineUnit]
    next_cursor: str | None = None
