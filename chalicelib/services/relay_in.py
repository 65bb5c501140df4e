"""Calls from peer hubs in the relay (issue 15, R-PROP-10; docs/federation.md).

At a receiving hub, `receive` puts a message handed over by a peer into its units'
inboxes: the remote source's code, priority, deadline and set time kept; the content
stays at the origin (a destination's fetch answers the origin's presigned GET). A peer
can only deliver to units of ours, never read anything.

At the origin, `apply_report` records what a peer says happened at one of its units that
the message was handed to it for (never another unit, never another peer's), exactly as
a local destination's outcome, with the hop; `content_grant` gives that peer a fresh GET
when the one it had expired.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import keys, lifecycle, relay, traffic
from chalicelib.domain.deadlines import UPLOAD
from chalicelib.domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.lifecycle import CONFIRM, EXPIRE, REJECT, MessageState
from chalicelib.domain.ports import Condition, Item, Put, TransactOp
from chalicelib.domain.priority import Priority
from chalicelib.domain.relay_schemas import (
    ContentGrant,
    OutcomeReport,
    RelayAccepted,
    RelayedMessage,
)
from chalicelib.domain.schemas import ExchangePolicy
from chalicelib.services import fanout
from chalicelib.services.access import not_found
from chalicelib.services.deps import Deps
from chalicelib.services.peer_auth import PeerCaller
from chalicelib.services.registry import get_unit
from chalicelib.services.schedule import due_put

MIN_WINDOW, MAX_WINDOW = 60, 90 * 86400  # ExchangePolicy.confirm_within_seconds' bounds


def receive(deps: Deps, caller: PeerCaller, body: RelayedMessage) -> RelayAccepted:
    """A message from a peer for our units (idempotent: the same hand-over again answers
    the message it created)."""
    message_id = relay.inbound_id(caller.peer, body.origin_id)
    existing = deps.table.get(*keys.message(message_id))
    if existing is None:
        for code in body.to:
            unit = get_unit(deps, code)
            if unit is None or unit.get("status") != "active":
                raise NotFoundError(f"{code} is not an active unit of this hub.",
                                    code="unit_not_found", unit=code)
        existing = _new(deps, caller, body, message_id)
        pk, sk = keys.message(message_id)
        ops: list[TransactOp] = [Put({"pk": pk, "sk": sk, **existing}, Condition(exists=False))]
        if existing["copy"]:  # copy mode: our store first (relay_copy), then delivered
            ops += [due_put(relay.COPY, deps.clock.now(), message_id),
                    due_put(UPLOAD, existing["confirm_by"], message_id)]
        try:
            deps.table.transact(ops)
        except TransactionConflictError:
            existing = deps.table.get(pk, sk) or existing
        else:
            if existing["copy"]:
                deps.kick()
    if existing["state"] == MessageState.REQUESTED and not existing.get("copy"):
        existing = fanout.verify_and_deliver(deps, existing)
    return RelayAccepted(id=message_id, state=str(existing["state"]))


def _new(deps: Deps, caller: PeerCaller, body: RelayedMessage, message_id: str) -> Item:
    priority = Priority(body.priority)
    window = body.confirm_by - deps.clock.now()
    if not MIN_WINDOW <= window <= MAX_WINDOW:  # as a source of ours may ask, no more
        raise InvalidRequestError(
            f"confirm_by: the deadline must be between {MIN_WINDOW} seconds and "
            f"{MAX_WINDOW // 86400} days from now (it is {window} seconds away).",
            code="validation_failed", field="confirm_by")
    policy = ExchangePolicy(confirm_within_seconds=window)
    origin = {"peer": caller.peer, "id": body.origin_id, "hub": caller.hub_url,
              "hops": [h.model_dump() for h in body.hops]}
    peer = deps.table.get(*keys.peer(caller.peer)) or {}
    copy = peer.get("content") == relay.COPIED
    return {
        "kind": "message", "version": lifecycle.VERSION, "id": message_id,
        "source": body.source, "source_app": f"peer:{caller.peer}", "to": list(body.to),
        "title": body.title, "priority": priority.value, "priority_rank": priority.rank,
        "data_type": body.data_type, "protocol": body.protocol,
        "state": MessageState.REQUESTED, "size": body.size, "sha256": body.sha256,
        "content_type": body.content_type, "file_name": body.file_name,
        "policy": policy.model_dump(), "created_at": deps.clock.now(),
        "confirm_by": body.confirm_by, "deliver_at": body.deliver_at, "edxml": body.edxml,
        "object_key": f"exchange/{message_id}/content" if copy else "",
        "copy": copy, "upload_mode": "single", "upload_id": "", "parts": [],
        "addressed": list(body.to), "rerouted": {}, "refused_uploads": 0,
        "origin": origin, "content": body.content.model_dump(),
    }


def _relayed_to(deps: Deps, caller: PeerCaller, message_id: str, unit: str) -> Item:
    """Our message whose destination `unit` was handed to the calling peer, or 404."""
    if not message_id.isalnum() or len(message_id) > 64:
        raise not_found()
    msg = deps.table.get(*keys.message(message_id))
    if msg is None or (msg.get("remote") or {}).get(unit) != caller.peer:
        raise not_found()
    return msg


def apply_report(deps: Deps, caller: PeerCaller, message_id: str,
                 body: OutcomeReport) -> bool:
    """Record an outcome at a remote destination as a local one's; False when it changes
    nothing (already recorded, or the delivery had ended)."""
    from chalicelib.services import receive as receiving
    from chalicelib.services.endings import expire_delivery

    msg = _relayed_to(deps, caller, message_id, body.unit)
    delivery = deps.table.get(*keys.delivery(msg["id"], body.unit))
    if delivery is None:
        raise not_found()
    hops = [h.model_dump() for h in body.hops]
    via = relay.hop_detail(caller.peer, hops)
    if body.event == "status":
        from chalicelib.services import status_replies
        status_replies.record(deps, msg, body.unit, body.code or "", at=body.at,
                              comment=body.comment, hops=hops)
        return True
    if body.event == "fetched":
        return receiving.record_fetch(deps, msg, delivery, body.unit, detail=via)
    if body.event == "expired":
        if not EXPIRE.allows(delivery["state"]):
            return False
        return expire_delivery(deps, msg, delivery, reason=body.reason or "expired_at_peer")
    step = CONFIRM if body.event == "confirmed" else REJECT
    if lifecycle.already_done(step, delivery["state"]) or not step.allows(delivery["state"]):
        return False
    waited = body.at - lifecycle.available_from(msg)
    counts: dict[str, Any] = (traffic.received(msg.get("priority"), msg["size"], waited)
                              if step is CONFIRM else {"rejected": 1})
    extra: dict[str, object] = ({"reason": body.reason} if step is REJECT and body.reason
                                else {})
    receiving.close(deps, body.unit, step, msg, delivery, extra=extra, counts=counts,
                    detail=via)
    return True


def content_grant(deps: Deps, caller: PeerCaller, message_id: str) -> ContentGrant:
    """A fresh GET of the content for the peer the message was handed to."""
    from chalicelib.services.relay_out import content_grant as grant

    if not message_id.isalnum() or len(message_id) > 64:
        raise not_found()
    msg = deps.table.get(*keys.message(message_id))
    if msg is None or caller.peer not in set((msg.get("remote") or {}).values()):
        raise not_found()
    if msg["state"] != MessageState.VERIFIED:
        raise ConflictError("The content of this message is no longer kept.",
                            code="not_available")
    return ContentGrant(**grant(deps, msg))


