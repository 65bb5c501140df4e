"""From the webhook outbox to deliveries (issue 16, R-PROP-8; docs/webhooks.md,
"Delivery").

Each outbox item (the events of one change, `services/webhook_outbox.py`) is read oldest
first and turned into one delivery per endpoint that matches each event
(`domain/webhooks.matches`: the endpoint's unit hears it, and its filters take it). The
deliveries are written, and the outbox item deleted with the last of them, in
transactions of at most 100 writes. A delivery's key is made from the outbox item's time,
its endpoint and its event id, so a drain that stops half-way and runs again writes the
same deliveries again rather than new ones: nothing is lost, and a delivery is at worst
sent twice with one event id, which the receiver drops.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import keys, webhooks
from chalicelib.domain.errors import TransactionConflictError
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.roles import operator_units

log = logging.getLogger("lgsp.webhooks")
PAGE = 50
PER_TRANSACTION = 99  # writes, and the outbox item's delete with the last ones


class Endpoints:
    """The active endpoints of units, read once per drain."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._by_unit: dict[str, list[Item]] = {}
        self.subscribed = frozenset(
            str(i["unit"]) for i in every_item(deps, keys.WEBHOOK_UNITS)
            if int(i.get("active") or 0) > 0)
        self.operators = frozenset(operator_units(deps))

    def of(self, unit: str) -> list[Item]:
        if unit not in self._by_unit:
            self._by_unit[unit] = [
                i for i in every_item(self._deps, keys.webhook_subscriptions(unit))
                if i.get("state") == "active"] if unit in self.subscribed else []
        return self._by_unit[unit]

    def audience(self, body: dict[str, Any]) -> frozenset[str]:
        """The units with an endpoint that hear the event at all."""
        if body["type"] in webhooks.OPERATOR_EVENTS:
            return self.subscribed & self.operators
        if body.get("recipient") == "*":
            return self.subscribed
        return self.subscribed & {str(body.get("recipient"))}


def interest_of(item: Item) -> webhooks.Interest:
    return webhooks.Interest(tuple(item["events"]), tuple(item.get("priorities") or ()),
                             tuple(item.get("counterparts") or ()))


def deliveries(endpoints: Endpoints, outbox_item: Item) -> list[Put]:
    """One delivery per matching endpoint of every event of the outbox item."""
    at = int(outbox_item["at"])
    puts: list[Put] = []
    for event in outbox_item["events"]:
        body = {k: v for k, v in event.items() if k != "event_id"}
        for unit in sorted(endpoints.audience(body)):
            operator = unit in endpoints.operators
            for endpoint in endpoints.of(unit):
                if webhooks.matches(interest_of(endpoint), unit, body, operator=operator):
                    puts.append(delivery_put(endpoint, str(event["event_id"]), body,
                                             since=at, next_at=at))
    return puts


def delivery_put(endpoint: Item, event_id: str, body: dict[str, Any], *, since: int,
                 next_at: int, attempts: int = 0) -> Put:
    """A delivery of one event to one endpoint, due at `next_at`, tried since `since`."""
    pk, sk = keys.webhook_due(endpoint["id"], next_at, event_id)
    return Put({"pk": pk, "sk": sk, "kind": "webhook_delivery", "sid": endpoint["id"],
                "unit": endpoint["unit"], "event_id": event_id, "event": body,
                "since": since, "attempts": attempts, "next_at": next_at})


def drain(deps: Deps, *, limit: int) -> int:
    """Turn up to `limit` outbox items, oldest first in each shard, into deliveries;
    returns how many were turned."""
    turned = 0
    endpoints: Endpoints | None = None
    for shard in range(keys.OUTBOX_SHARDS):
        if turned >= limit:
            break
        page = deps.table.query(keys.webhook_outbox_partition(shard),
                                limit=min(PAGE, limit - turned))
        for item in page.items:
            endpoints = endpoints or Endpoints(deps)
            _turn(deps, item, deliveries(endpoints, item))
            turned += 1
    return turned


def _turn(deps: Deps, item: Item, puts: list[Put]) -> None:
    ops: list[TransactOp] = list(puts)
    gone = Delete(item["pk"], item["sk"], Condition(exists=True))
    while len(ops) > PER_TRANSACTION:
        deps.table.transact(ops[:PER_TRANSACTION])
        ops = ops[PER_TRANSACTION:]
    try:
        deps.table.transact([*ops, gone])
    except TransactionConflictError:  # another drain turned it meanwhile
        log.info("webhook outbox item %s was already turned", item["sk"])
