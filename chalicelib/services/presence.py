"""Presence as the API shows it (R-PROP-9, R-PROP-12): a unit's state, its connections,
its connect/disconnect history; operators see every unit and who is online now."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.presence_schemas import (
    ConnectionView,
    OnlineUnit,
    OnlineUnits,
    PresenceEvent,
    PresenceHistory,
    PresenceView,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services.connections import unit_connections
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator


def _whose(deps: Deps, caller: Caller, unit: str | None) -> str:
    """A unit sees its own presence; only operators look at other units."""
    if unit is None or unit == caller.unit:
        return caller.unit
    require_operator(deps, caller)
    return unit


def presence(deps: Deps, caller: Caller, unit: str | None) -> PresenceView:
    code = _whose(deps, caller, unit)
    state = deps.table.get(*keys.presence(code))
    online = deps.table.get(*keys.online(code))
    conns = [ConnectionView(connection_id=c["connection_id"], app=c["app"],
                            connected_at=iso(c["connected_at"]), last_seen=iso(c["last_seen"]))
             for c in unit_connections(deps, code)]
    if online is not None:
        return PresenceView(unit=code, state="online", since=iso(online["since"]),
                            connections=conns)
    if state is None:
        return PresenceView(unit=code, state="never_connected", connections=conns)
    since = state["since"] if state["state"] == "offline" else None
    return PresenceView(unit=code, state="offline", since=iso(since) if since else None,
                        connections=conns)


def history(deps: Deps, caller: Caller, unit: str | None, *, limit: int,
            cursor: str | None) -> PresenceHistory:
    """Connections and disconnections, newest first (R-PROP-12)."""
    code = _whose(deps, caller, unit)
    page = deps.table.query(keys.presence_history_partition(code), limit=limit, cursor=cursor,
                            descending=True)
    return PresenceHistory(unit=code, next_cursor=page.cursor, items=[PresenceEvent(
        at=iso(i["at"]), event=i["event"], connection_id=i.get("connection_id"),
        app=i.get("app"), detail=i.get("detail")) for i in page.items])


def online_units(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> OnlineUnits:
    require_operator(deps, caller)
    page = deps.table.query(keys.ONLINE, limit=limit, cursor=cursor)
    return OnlineUnits(items=[OnlineUnit(unit=i["unit"], since=iso(i["since"]))
                              for i in page.items], next_cursor=page.cursor)
