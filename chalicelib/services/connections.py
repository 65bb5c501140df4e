"""Live WebSocket connections and the presence they make (R-PROP-9, R-PROP-12).

A unit is online while it holds at least one live connection. Each connection is one item
in its unit's partition (`CONN#unit`, what fan-out queries) plus a pointer from its id
(`WS#id`, what `$disconnect` and heartbeats carry). The item records the management
endpoint of the gateway holding it, so any process can post to it.

Transitions are decided by conditional writes, so a disconnect, a sweep and a heartbeat
racing on the same connection record one history line and tell one event each:
- the first connection of a unit creates `ONLINE/unit` → `unit.online`;
- closing the last one deletes it → `unit.offline`.
A connect racing the last disconnect can leave a connected unit marked offline; its next
heartbeat puts it back online (and says so).
"""

from __future__ import annotations

import logging

from chalicelib.domain import events, keys
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConnectionGoneError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, Update
from chalicelib.domain.signatures import Caller
from chalicelib.services import webhook_outbox
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.publish import tell

log = logging.getLogger("lgsp.presence")
ONLINE, OFFLINE = "online", "offline"
BACKSTOP_SECONDS = 24 * 3600  # a record no sweep removed vanishes by TTL after a day
OPENING_SECONDS = 5


def _history(deps: Deps, unit: str, event: str, *, connection_id: str | None = None,
             app: str | None = None, detail: str | None = None) -> Put:
    at = deps.clock.now()
    pk, sk = keys.presence_history(unit, at, deps.ids.new_id(), event)
    return Put({"pk": pk, "sk": sk, "kind": "presence_history", "unit": unit, "at": at,
                "event": event, "connection_id": connection_id, "app": app, "detail": detail,
                "ttl": at + deps.settings.presence_history_days * 86400})


def open_connection(deps: Deps, caller: Caller, *, connection_id: str, endpoint: str,
                    source_ip: str | None) -> Item:
    """Record an authenticated connection; the unit's first one makes it online."""
    now = deps.clock.now()
    pk, sk = keys.connection(caller.unit, connection_id)
    item: Item = {"pk": pk, "sk": sk, "kind": "connection", "connection_id": connection_id,
                  "unit": caller.unit, "app": caller.app, "key_id": caller.key_id,
                  "algorithm": caller.algorithm, "endpoint": endpoint, "source_ip": source_ip,
                  "connected_at": now, "last_seen": now, "ttl": now + BACKSTOP_SECONDS}
    opk, osk = keys.connection_owner(connection_id)
    deps.table.transact([
        Put(item, Condition(exists=False)),
        Put({"pk": opk, "sk": osk, "kind": "connection_owner", "unit": caller.unit,
             "connection_id": connection_id, "ttl": now + BACKSTOP_SECONDS},
            Condition(exists=False)),
        _history(deps, caller.unit, "connected", connection_id=connection_id, app=caller.app),
    ])
    _go_online(deps, caller.unit)
    return item


def find_connection(deps: Deps, connection_id: str) -> Item | None:
    """The connection record behind an id, or None once it is closed."""
    owner = deps.table.get(*keys.connection_owner(connection_id))
    if owner is None:
        return None
    return deps.table.get(*keys.connection(owner["unit"], connection_id))


def heartbeat(deps: Deps, connection_id: str) -> Item | None:
    """Keep a connection (and its unit's presence) fresh; None if it was already dropped."""
    conn = find_connection(deps, connection_id)
    if conn is None:
        return None
    now = deps.clock.now()
    try:
        conn = deps.table.update(Update(conn["pk"], conn["sk"], set={
            "last_seen": now, "ttl": now + BACKSTOP_SECONDS}, condition=Condition(exists=True)))
    except ConditionFailedError:
        return None
    if deps.table.get(*keys.online(conn["unit"])) is None:
        _go_online(deps, conn["unit"])
    return conn


def close_connection(deps: Deps, connection_id: str, reason: str) -> bool:
    """Forget a connection (disconnect, gone, missed heartbeats); the unit's last one
    makes it offline. False if someone else closed it first."""
    conn = find_connection(deps, connection_id)
    if conn is None:
        return False
    try:
        deps.table.transact([
            Delete(conn["pk"], conn["sk"], Condition(exists=True)),
            Delete(*keys.connection_owner(connection_id)),
            _history(deps, conn["unit"], "disconnected", connection_id=connection_id,
                     app=conn["app"], detail=reason),
        ])
    except TransactionConflictError:
        return False
    log.info("connection %s of %s closed: %s", connection_id, conn["unit"], reason)
    if not deps.table.query(keys.connections_of(conn["unit"]), limit=1).items:
        _go_offline(deps, conn["unit"])
    return True


def _go_online(deps: Deps, unit: str) -> None:
    now = deps.clock.now()
    opk, osk = keys.online(unit)
    try:
        deps.table.put({"pk": opk, "sk": osk, "kind": "online", "unit": unit, "since": now},
                       Condition(exists=False))
    except ConditionFailedError:
        return  # already online
    _presence_changed(deps, unit, ONLINE, now)


def _go_offline(deps: Deps, unit: str) -> None:
    try:
        deps.table.delete(*keys.online(unit), Condition(exists=True))
    except ConditionFailedError:
        return  # already offline
    _presence_changed(deps, unit, OFFLINE, deps.clock.now())


def _presence_changed(deps: Deps, unit: str, state: str, now: int) -> None:
    ppk, psk = keys.presence(unit)
    told = [events.presence(events.ONLINE if state == ONLINE else events.OFFLINE, unit, now)]
    deps.table.transact([
        Put({"pk": ppk, "sk": psk, "kind": "presence", "unit": unit, "state": state,
             "since": now}),
        _history(deps, unit, state),
        *webhook_outbox.ops(deps, told),
    ])
    tell(deps, told)


def unit_connections(deps: Deps, unit: str) -> list[Item]:
    """Every live connection of a unit."""
    return every_item(deps, keys.connections_of(unit))


def post(deps: Deps, conn: Item, frame: bytes) -> bool:
    """Send one frame to one connection; a gone connection is closed and forgotten."""
    try:
        deps.connections.post(conn["endpoint"], conn["connection_id"], frame)
        return True
    except ConnectionGoneError:
        # A connection whose `$connect` is still running cannot be posted to yet; only an
        # older one that answers "gone" really is (its `$disconnect` cleans up otherwise).
        if deps.clock.now() - conn.get("connected_at", 0) >= OPENING_SECONDS:
            close_connection(deps, conn["connection_id"], "gone")
    except Exception:  # a gateway unreachable: best effort, the pull lists stay the truth
        log.warning("push to connection %s failed", conn["connection_id"], exc_info=True)
    return False


def _close_at_gateway(deps: Deps, conn: Item) -> None:
    """Best effort: the gateway holding it may be gone (a host process that died), and
    the record is already closed."""
    try:
        deps.connections.close(conn["endpoint"], conn["connection_id"])
    except Exception:
        log.warning("closing connection %s at its gateway failed", conn["connection_id"],
                    exc_info=True)


def drop_stale(deps: Deps) -> int:
    """Close connections whose heartbeats lapsed and mark their units offline (the
    sweeper's presence pass). Walks the units online now, never the whole table."""
    limit = deps.clock.now() - deps.settings.presence_timeout_seconds
    dropped, cursor = 0, None
    while True:
        page = deps.table.query(keys.ONLINE, limit=100, cursor=cursor)
        for online in page.items:
            conns = unit_connections(deps, online["unit"])
            for conn in conns:
                if conn["last_seen"] < limit and close_connection(
                        deps, conn["connection_id"], "heartbeat_missed"):
                    dropped += 1
                    _close_at_gateway(deps, conn)
            if not conns:
                _go_offline(deps, online["unit"])
        cursor = page.cursor
        if cursor is None:
            return dropped
