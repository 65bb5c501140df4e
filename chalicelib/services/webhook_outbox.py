"""The webhook outbox (issue 16, R-PROP-8; docs/webhooks.md, "Delivery"): the events of a
change that some unit's endpoint may want are written in the same transaction as the
change itself, so a crash between the change and its delivery loses none.

    told = [events.outcome(msg, "confirmed", unit, now)]
    deps.table.transact([*ops, *webhook_outbox.ops(deps, told)])
    tell(deps, told)

`ops` writes at most one item per change (all its events together, so a fan-out batch of
45 arrivals stays within a transaction's limit), and nothing at all when no unit that
hears the events has an active endpoint: which units have one is read from the
`WEBHOOKS` index once per `CACHE_SECONDS` in a process, so an endpoint registered now
hears events from at most that long after (docs/webhooks.md says so).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable

from chalicelib.domain import events as event_rules, keys
from chalicelib.domain.ports import Event, Put
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.roles import operator_units

CACHE_SECONDS = 30.0
PER_ITEM = 200  # events in one outbox item: well within an item's 400 KB
_lock = threading.Lock()
_cache: dict[int, tuple[float, frozenset[str]]] = {}  # id(table) -> (read at, units)
_written = threading.Event()  # an item was written since `written()` was last asked


def subscribed_units(deps: Deps) -> frozenset[str]:
    """The units with at least one active endpoint (cached per process and table)."""
    key = id(deps.table)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
    units = frozenset(str(i["unit"]) for i in every_item(deps, keys.WEBHOOK_UNITS)
                      if int(i.get("active") or 0) > 0)
    with _lock:
        _cache[key] = (time.monotonic(), units)
    return units


def forget() -> None:
    """Drop the cache (tests; a subscription change in this process)."""
    with _lock:
        _cache.clear()


def _heard(deps: Deps, event: Event, subscribed: frozenset[str]) -> bool:
    if event.type in event_rules.PRESENCE:
        return bool(subscribed & (operator_units(deps) - {event.recipient}))
    if event.recipient == event_rules.EVERY_UNIT:
        return bool(subscribed)
    return event.recipient in subscribed


def ops(deps: Deps, told: Iterable[Event | None]) -> list[Put]:
    """The outbox items for the events of one change that an endpoint may want (none if
    no unit hearing them has one): one item, or one per `PER_ITEM` events (a broadcast's
    2,000 destinations abandoned at once)."""
    present = [e for e in told if e is not None]
    if not present:
        return []
    subscribed = subscribed_units(deps)
    if not subscribed:
        return []
    wanted = [e for e in present if _heard(deps, e, subscribed)]
    if not wanted:
        return []
    _written.set()
    return [_item(deps, wanted[i:i + PER_ITEM]) for i in range(0, len(wanted), PER_ITEM)]


def written() -> bool:
    """Whether this process wrote outbox items since it last asked (then `tell` wakes the
    delivery worker: on `make run` a webhook follows its change at once)."""
    was = _written.is_set()
    _written.clear()
    return was


def _item(deps: Deps, wanted: list[Event]) -> Put:
    item_id, at = deps.ids.new_id(), deps.clock.now()
    shard = zlib.crc32(item_id.encode()) % keys.OUTBOX_SHARDS
    pk, sk = keys.webhook_outbox(shard, at, item_id)
    return Put({"pk": pk, "sk": sk, "kind": "webhook_outbox", "at": at,
                "events": [{**event_rules.as_dict(e), "event_id": f"{item_id}_{n}"}
                           for n, e in enumerate(wanted)]})
