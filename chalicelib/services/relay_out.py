"""The origin's side of the relay (issue 15, R-PROP-10; docs/federation.md, "The relay").

    destinations   a code not in our registry that a route sends to an active peer is a
                   remote destination (`msg["remote"]`: code → peer)
    verification   its delivery is written like a local one (no inbox entry: it is not
                   ours), and a hand-over per peer (`RELAY#<peer>`) with a `relay` due
                   item, in the same transaction
    hand-over      the due item (at once on `make run`, the next sweep on AWS) posts the
                   message's facts and a presigned GET of our store to the peer, signed
                   with the hub's key; accepted: traced; a peer that is down: tried again
                   with back-off until the deadline, the source told `message.waiting`
                   once; refused by the peer (e.g. it has no such unit): those deliveries
                   end `expired` with the peer's reason.

The hand-over is idempotent at the peer (one message per origin id), so an attempt whose
answer was lost is repeated safely and never delivers twice.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import events, federation, keys, relay
from chalicelib.domain.errors import ConflictError, LgspError, TransactionConflictError
from chalicelib.domain.lifecycle import EXPIRE, MessageState
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.domain.times import iso
from chalicelib.services import webhook_outbox
from chalicelib.services.audit import trace_put
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item
from chalicelib.services.publish import tell
from chalicelib.services.schedule import due_put

log = logging.getLogger("lgsp.relay")
PENDING, ACCEPTED, REFUSED, GIVEN_UP = "pending", "accepted", "refused", "given_up"


def peer_for(deps: Deps, code: str) -> str | None:
    """The peer a code not in our registry goes to (None: no route). A code whose most
    specific route names a disabled peer is refused: it never falls through to another
    hub (domain/federation.resolve says why)."""
    from chalicelib.services.peer_routes import where

    decided = where(deps, code).resolution
    if decided.outcome == federation.PEER_DISABLED:
        raise ConflictError(f"Destination {code} belongs to peer hub '{decided.peer}', "
                            "which is disabled: the hub holds no documents for it until "
                            "an operator enables it.", code="destination_peer_disabled",
                            unit=code)
    return decided.peer if decided.outcome == federation.ROUTED else None


def handover_ops(deps: Deps, msg: Item) -> list[TransactOp]:
    """Written with the verification: a hand-over per peer, and the work to do it now."""
    by_peer: dict[str, list[str]] = {}
    for unit, peer in (msg.get("remote") or {}).items():
        by_peer.setdefault(peer, []).append(unit)
    if not by_peer:
        return []
    ops: list[TransactOp] = []
    for peer, units in sorted(by_peer.items()):
        pk, sk = keys.relay(msg["id"], peer)
        ops.append(Put({"pk": pk, "sk": sk, "kind": "relay", "peer": peer, "units": units,
                        "state": PENDING, "attempts": 0}, Condition(exists=False)))
    ops.append(due_put(relay.RELAY, deps.clock.now(), msg["id"]))
    return ops


def hand_over(deps: Deps, msg: Item) -> int | None:
    """Try every pending hand-over of `msg`; the time to try again, if any failed."""
    from chalicelib.services.peer_calls import PeerUnreachableError, call_peer

    retry: list[int] = []
    for item in every_item(deps, keys.message_partition(msg["id"]), prefix=keys.RELAYS):
        if item["state"] != PENDING:
            continue
        now = deps.clock.now()
        if msg["state"] != MessageState.VERIFIED or now >= msg["confirm_by"]:
            _settle(deps, msg, item, GIVEN_UP)  # its deliveries expire with the message
            continue
        peer = deps.table.get(*keys.peer(item["peer"]))
        if peer is None or peer["state"] != federation.ACTIVE:
            retry.append(_failed(deps, msg, item, "peer_disabled"))
            continue
        try:
            answer = call_peer(deps, peer, "POST", "/v1/federation/messages",
                               _body(deps, msg, item["units"], now))
        except PeerUnreachableError as exc:
            log.info("relay: message %s to peer %s: %s", msg["id"], item["peer"], exc)
            retry.append(_failed(deps, msg, item, "peer_unreachable"))
            continue
        except LgspError as exc:  # ours to mend (LGSP_PUBLIC_URL unset, a pinned key gone)
            log.warning("relay: message %s to peer %s not sent: %s", msg["id"], item["peer"],
                        exc.code)
            retry.append(_failed(deps, msg, item, exc.code))
            continue
        if answer.status in (200, 201):
            _settle(deps, msg, item, ACCEPTED, remote_id=answer.body.get("id"))
        else:
            _refused(deps, msg, item, answer.status, answer.body)
    return min(retry) if retry else None


def _body(deps: Deps, msg: Item, units: list[str], now: int) -> dict[str, Any]:
    return relay.relay_body(msg, units, hub=_our_hub(deps), now=now,
                            content=content_grant(deps, msg))


def content_grant(deps: Deps, msg: Item) -> dict[str, Any]:
    """A fresh presigned GET of a relayed message's content, for the peer that asks."""
    now = deps.clock.now()
    ttl = relay.content_url_seconds(now, msg["confirm_by"])
    grant = deps.objects.presign_get(msg["object_key"], expires_in=ttl,
                                     file_name=msg["file_name"])
    return {"method": grant.method, "url": grant.url, "headers": grant.headers,
            "expires_at": now + ttl}


def _our_hub(deps: Deps) -> str:
    return deps.settings.public_url or ""


def _settle(deps: Deps, msg: Item, item: Item, state: str, **extra: Any) -> None:
    now = deps.clock.now()
    ops: list[TransactOp] = [Update(item["pk"], item["sk"], set={"state": state,
                                                                 f"{state}_at": now, **extra},
                                    condition=Condition(equals={"state": PENDING}))]
    if state == ACCEPTED:
        ops.append(trace_put(deps, msg["id"], "relayed", detail=f"to {item['peer']}"))
    try:
        deps.table.transact(ops)
    except TransactionConflictError:  # settled by an overlapping attempt
        log.info("relay: hand-over of %s to %s settled meanwhile", msg["id"], item["peer"])


def _failed(deps: Deps, msg: Item, item: Item, reason: str) -> int:
    """Count a failed attempt; tell the source once that its remote destinations wait."""
    now, attempts = deps.clock.now(), int(item.get("attempts", 0)) + 1
    first = attempts == 1
    ops: list[TransactOp] = [Update(item["pk"], item["sk"],
                                    set={"attempts": attempts, "last_error": reason,
                                         "last_attempt_at": now},
                                    condition=Condition(equals={"state": PENDING}))]
    told = [events.outcome(msg, "waiting", unit, now, reason=reason, peer=item["peer"])
            for unit in item["units"]] if first else []
    if first:
        ops += [trace_put(deps, msg["id"], "waiting", detail=f"{reason}: {item['peer']}"),
                *webhook_outbox.ops(deps, told)]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:  # settled meanwhile: nothing to tell
        return now + relay.retry_after(attempts, msg["id"])
    tell(deps, told)
    return now + relay.retry_after(attempts, msg["id"])


def _refused(deps: Deps, msg: Item, item: Item, status: int, body: dict[str, Any]) -> None:
    """The peer refused the hand-over (4xx): its units' deliveries end with its reason."""
    from chalicelib.services.endings import expire_delivery

    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = str((error or {}).get("code") or f"http_{status}")[:64]
    log.warning("relay: peer %s refused message %s: %s", item["peer"], msg["id"], code)
    _settle(deps, msg, item, REFUSED, refusal=code)
    for unit in item["units"]:
        delivery = deps.table.get(*keys.delivery(msg["id"], unit))
        if delivery is not None and EXPIRE.allows(delivery["state"]):
            expire_delivery(deps, msg, delivery, reason=f"refused_by_peer:{code}")
    from chalicelib.services.content_retention import delete_content_when_done
    delete_content_when_done(deps, msg["id"])


def handover_view(item: Item) -> dict[str, Any]:
    """A hand-over as the source's status shows it."""
    return {"peer": item["peer"], "units": item["units"], "state": item["state"],
            "attempts": int(item.get("attempts", 0)),
            "accepted_at": iso(item["accepted_at"]) if item.get("accepted_at") else None}
