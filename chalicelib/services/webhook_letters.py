"""What an endpoint's owner sees of its deliveries and does about them (issue 16,
R-PROP-8; docs/webhooks.md, "Attempts and dead letters"): the attempts of the last 7 days
(status, latency, error), the dead letters of the last 30, redelivery of one or all of
them, and a `webhook.ping` to try an endpoint. Only the endpoint's own unit reaches any of
it (`webhooks.mine`).
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import ConflictError, NotFoundError, TransactionConflictError
from chalicelib.domain.ports import Condition, Delete, Item, TransactOp
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.domain.webhook_schemas import (
    DeadLetter,
    DeadLetterPage,
    PingQueued,
    Redelivery,
    WebhookAttempt,
    WebhookAttemptPage,
)
from chalicelib.services.deps import Deps
from chalicelib.services.webhook_delivery import new_delivery
from chalicelib.services.webhooks import ACTIVE, mine

PING = "webhook.ping"
REDELIVER_AT_ONCE = 45  # dead letters queued per transaction (two writes each)


def attempts(deps: Deps, caller: Caller, sid: str, *, limit: int,
             cursor: str | None) -> WebhookAttemptPage:
    mine(deps, caller, sid)
    page = deps.table.query(keys.webhook_attempts(sid), limit=limit, cursor=cursor,
                            descending=True)
    return WebhookAttemptPage(items=[WebhookAttempt(
        event_id=i["event_id"], event_type=i["event_type"], at=iso(int(i["at"])),
        attempt=int(i["attempt"]), status=i.get("status"), latency_ms=i.get("latency_ms"),
        error=i.get("error"), delivered=bool(i["delivered"])) for i in page.items],
        next_cursor=page.cursor)


def dead_letters(deps: Deps, caller: Caller, sid: str, *, limit: int,
                 cursor: str | None) -> DeadLetterPage:
    mine(deps, caller, sid)
    page = deps.table.query(keys.webhook_dead_letters(sid), limit=limit, cursor=cursor)
    return DeadLetterPage(items=[_dead_view(i) for i in page.items], next_cursor=page.cursor)


def _dead_view(item: Item) -> DeadLetter:
    return DeadLetter(event_id=item["event_id"], event_type=item["event"]["type"],
                      event_at=iso(int(item["event"]["at"])), dead_at=iso(int(item["dead_at"])),
                      attempts=int(item["attempts"]), last_status=item.get("last_status"),
                      last_error=item.get("last_error"), reason=item["reason"])


def redeliver(deps: Deps, caller: Caller, sid: str, event_id: str | None) -> Redelivery:
    """Queue one dead letter (or, with no `event_id`, up to 45 of them) for delivery now,
    with a fresh retry window; 409 `webhook_disabled` while the endpoint is disabled."""
    endpoint = _active(deps, caller, sid)
    if event_id is not None:
        found = (deps.table.get(*keys.webhook_dead(sid, event_id))
                 if event_id.isascii() and 0 < len(event_id) <= 80 else None)
        if found is None:
            raise NotFoundError("No such dead letter of this endpoint.",
                                code="dead_letter_not_found")
        letters = [found]
        more = False
    else:
        page = deps.table.query(keys.webhook_dead_letters(sid), limit=REDELIVER_AT_ONCE)
        letters, more = page.items, page.cursor is not None
    now = deps.clock.now()
    ops: list[TransactOp] = []
    for letter in letters:
        ops += [Delete(letter["pk"], letter["sk"], Condition(exists=True)),
                new_delivery(endpoint, letter["event_id"], letter["event"], now,
                             attempts=int(letter["attempts"]))]
    if ops:
        try:
            deps.table.transact(ops)
        except TransactionConflictError as exc:
            raise ConflictError("A dead letter changed meanwhile; list them and retry.",
                                code="conflict") from exc
    return Redelivery(queued=len(letters), more=more)


def ping(deps: Deps, caller: Caller, sid: str) -> PingQueued:
    """Queue a `webhook.ping` for this endpoint alone, signed and retried as any event."""
    endpoint = _active(deps, caller, sid)
    now, event_id = deps.clock.now(), deps.ids.new_id()
    body = {"type": PING, "recipient": caller.unit, "at": now, "webhook_id": sid}
    deps.table.put(new_delivery(endpoint, event_id, body, now).item)
    return PingQueued(event_id=event_id)


def _active(deps: Deps, caller: Caller, sid: str) -> Item:
    endpoint = mine(deps, caller, sid)
    if endpoint["state"] != ACTIVE:
        raise ConflictError("The endpoint is disabled: enable it first (PATCH state "
                            "active).", code="webhook_disabled")
    return endpoint
