"""The receiving hub's side of status flowing back (issue 15; docs/federation.md, "The
relay"): each outcome at a destination of a message relayed to us (fetched, confirmed,
rejected, expired, a status reply) is written as a report in the same transaction as the
outcome itself, and sent to the origin hub by a `report` due item, in order, until the
origin has it; a hub that is down is tried again with back-off. Nothing is lost by a
crash: the report is in the table before anyone is told."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import keys, relay
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.schedule import due_put

log = logging.getLogger("lgsp.relay")


def report_ops(deps: Deps, msg: Item, unit: str, event: str, **details: Any
               ) -> list[TransactOp]:
    """For a relayed message: the report of `event` at `unit`, and the work to send it
    (nothing for a message of our own)."""
    origin = msg.get("origin")
    if not origin:
        return []
    now = deps.clock.now()
    pk, sk = keys.report(msg["id"], now, unit,
                         f"{event}:{details['code']}" if details.get("code") else event)
    hops = [*(origin.get("hops") or []), {"hub": deps.settings.public_url or "", "at": now,
                                           "event": event}]
    return [Put({"pk": pk, "sk": sk, "kind": "report", "unit": unit, "event": event,
                 "at": now, "hops": hops, "attempts": 0,
                 **{k: v for k, v in details.items() if v is not None}}),
            due_put(relay.REPORT, now, msg["id"], tag=sk[len(keys.REPORTS):])]


def send_reports(deps: Deps, msg: Item) -> int | None:
    """Send `msg`'s reports to its origin, oldest first; the time to try again if the
    origin could not be reached (the rest wait behind, so they arrive in order)."""
    from chalicelib.services.peer_calls import PeerUnreachableError, call_peer

    origin = msg.get("origin") or {}
    peer = deps.table.get(*keys.peer(str(origin.get("peer"))))
    for item in every_item(deps, keys.message_partition(msg["id"]), prefix=keys.REPORTS):
        now = deps.clock.now()
        if peer is None:
            log.warning("relay: report of %s: peer %s is no longer registered",
                        msg["id"], origin.get("peer"))
            return now + relay.MAX_RETRY_SECONDS
        body = {k: item[k] for k in ("unit", "event", "at", "hops", "reason", "code",
                                     "comment") if item.get(k) is not None}
        try:
            answer = call_peer(deps, peer, "POST",
                               f"/v1/federation/messages/{origin['id']}/events", body)
        except PeerUnreachableError as exc:
            attempts = int(item.get("attempts", 0)) + 1
            log.info("relay: report of %s to %s: %s", msg["id"], peer["id"], exc)
            deps.table.update(Update(item["pk"], item["sk"], set={"attempts": attempts},
                                     condition=Condition(exists=True)))
            return now + relay.retry_after(attempts, msg["id"])
        if answer.status >= 400:  # the origin will never take it: say so, do not block
            log.warning("relay: origin %s refused the report of %s (%s): %s", peer["id"],
                        msg["id"], item["event"], answer.status)
        deps.table.delete(item["pk"], item["sk"])
    return None
