"""Webhook subscriptions (issue 16, R-PROP-8; docs/webhooks.md): an app registers, for
its unit, HTTPS endpoints that get the events the unit hears, narrowed by type, priority
and counterpart (`domain/webhooks.py`); each endpoint has its own signing secret, shown
once, sealed like an app's secret, rotated with a day's overlap.

    created = webhooks.create(deps, caller, WebhookRequest(url=..., events=["*"]))
    created.secret   # whsec_...: the receiver verifies deliveries with it

A subscription is one item of its unit's partition; the `WEBHOOKS` index counts each
unit's active ones in the same transaction, so the outbox can tell at once whether an
event needs writing at all.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import keys, webhook_delivery as delivery_rules, webhooks
from chalicelib.domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.outbound import OutboundRefusedError
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.domain.webhook_schemas import (
    WebhookChange,
    WebhookCreated,
    WebhookPage,
    WebhookRequest,
    WebhookView,
)
from chalicelib.services import webhook_outbox
from chalicelib.services.deps import Deps
from chalicelib.services.roles import is_operator
from chalicelib.services.webhook_secrets import new_secret

MAX_PER_UNIT = 20
ROTATION_OVERLAP_SECONDS = 86400  # the old secret still signs for a day after a rotation
ACTIVE = "active"


def create(deps: Deps, caller: Caller, body: WebhookRequest) -> WebhookCreated:
    """Register an endpoint for the caller's unit: 400 `invalid_webhook_url` /
    `invalid_webhook_filter` naming what is wrong, 409 `too_many_webhooks`."""
    wanted = webhooks.interest(body.events, body.priorities, body.counterparts,
                               operator=is_operator(deps, caller))
    url = _checked(deps, body.url)
    mine = deps.table.query(keys.webhook_subscriptions(caller.unit), limit=MAX_PER_UNIT + 1)
    if len(mine.items) >= MAX_PER_UNIT:
        raise ConflictError(f"A unit has at most {MAX_PER_UNIT} webhook endpoints; remove "
                            "one first.", code="too_many_webhooks", limit=MAX_PER_UNIT)
    now, sid, secret = deps.clock.now(), deps.ids.new_id(), new_secret()
    pk, sk = keys.webhook(caller.unit, sid)
    item: Item = {"pk": pk, "sk": sk, "kind": "webhook", "id": sid, "unit": caller.unit,
                  "url": url, "events": list(wanted.events),
                  "priorities": list(wanted.priorities),
                  "counterparts": list(wanted.counterparts), "description": body.description,
                  "state": ACTIVE, "created_at": now, "created_by": caller.actor,
                  "updated_at": now, "secrets": [_sealed(deps, sid, secret, None)]}
    deps.table.transact([Put(item, Condition(exists=False)), _count(caller.unit, +1)])
    webhook_outbox.forget()  # this process hears its events at once
    return WebhookCreated(webhook=view(item), secret=secret)


def list_mine(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> WebhookPage:
    page = deps.table.query(keys.webhook_subscriptions(caller.unit), limit=limit,
                            cursor=cursor)
    return WebhookPage(items=[view(i) for i in page.items], next_cursor=page.cursor)


def get(deps: Deps, caller: Caller, sid: str) -> WebhookView:
    return view(_mine(deps, caller, sid))


def update(deps: Deps, caller: Caller, sid: str, body: WebhookChange) -> WebhookView:
    """Change an endpoint; a field left out stays. Disabling takes it out of the count
    the outbox reads; enabling puts it back."""
    current = _mine(deps, caller, sid)
    given = body.model_fields_set
    nulls = sorted(name for name in given if getattr(body, name) is None)
    if nulls:
        raise InvalidRequestError(f"{nulls[0]}: may not be null (leave it out to keep it).",
                                  code="validation_failed", field=nulls[0])
    change: dict[str, Any] = {"updated_at": deps.clock.now()}
    if given & {"events", "priorities", "counterparts"}:
        wanted = webhooks.interest(
            body.events or current["events"],
            current["priorities"] if body.priorities is None else body.priorities,
            current["counterparts"] if body.counterparts is None else body.counterparts,
            operator=is_operator(deps, caller))
        change.update(events=list(wanted.events), priorities=list(wanted.priorities),
                      counterparts=list(wanted.counterparts))
    if body.url is not None:
        change["url"] = _checked(deps, body.url)
    if body.description is not None:
        change["description"] = body.description
    ops: list[TransactOp] = []
    gone: list[str] = []
    if body.state is not None and body.state != current["state"]:
        change["state"] = body.state
        ops.append(_count(caller.unit, +1 if body.state == ACTIVE else -1))
        if body.state == ACTIVE:  # a fresh start: a day of failures before disabling
            gone = ["disabled_reason", "failing_since"]
        else:
            change["disabled_reason"] = delivery_rules.BY_OWNER
    pk, sk = keys.webhook(caller.unit, sid)
    try:
        deps.table.transact([Update(pk, sk, set=change, remove=gone, condition=Condition(
            equals={"state": current["state"]})), *ops])
    except TransactionConflictError as exc:
        raise ConflictError("The endpoint changed meanwhile; read it and retry.",
                            code="conflict") from exc
    webhook_outbox.forget()
    return view({k: v for k, v in {**current, **change}.items() if k not in gone})


def rotate_secret(deps: Deps, caller: Caller, sid: str) -> WebhookCreated:
    """A new secret, shown once; the current one keeps signing for a day beside it
    (deliveries carry both signatures), so the receiver can switch without a gap."""
    current = _mine(deps, caller, sid)
    now, secret = deps.clock.now(), new_secret()
    kept = [{**s, "until": s.get("until") or now + ROTATION_OVERLAP_SECONDS}
            for s in current["secrets"] if (s.get("until") or now + 1) > now][-1:]
    secrets_ = [_sealed(deps, sid, secret, None), *kept]
    pk, sk = keys.webhook(caller.unit, sid)
    deps.table.update(Update(pk, sk, set={"secrets": secrets_, "secret_rotated_at": now,
                                          "updated_at": now},
                             condition=Condition(exists=True)))
    return WebhookCreated(webhook=view({**current, "secret_rotated_at": now}), secret=secret)


def remove(deps: Deps, caller: Caller, sid: str) -> None:
    current = _mine(deps, caller, sid)
    ops: list[TransactOp] = [Delete(*keys.webhook(caller.unit, sid),
                                    Condition(equals={"state": current["state"]}))]
    if current["state"] == ACTIVE:
        ops.append(_count(caller.unit, -1))
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        raise ConflictError("The endpoint changed meanwhile; read it and retry.",
                            code="conflict") from exc


def signing_secrets(deps: Deps, item: Item, now: int) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    for a day after a rotation."""
    return [deps.sealer.open(s["sealed"], f"webhook:{item['id']}").decode()
            for s in item["secrets"] if s.get("until") is None or s["until"] > now]


def mine(deps: Deps, caller: Caller, sid: str) -> Item:
    """The caller's unit's endpoint `sid`, or 404 `webhook_not_found` (another unit's
    endpoint is not found either)."""
    return _mine(deps, caller, sid)


def _mine(deps: Deps, caller: Caller, sid: str) -> Item:
    item = (deps.table.get(*keys.webhook(caller.unit, sid))
            if sid.isalnum() and len(sid) <= 64 else None)
    if item is None:
        raise NotFoundError("No such webhook endpoint of your unit.",
                            code="webhook_not_found")
    return item


def _checked(deps: Deps, url: str) -> str:
    try:
        deps.outbound.check(url)
    except OutboundRefusedError as exc:
        raise InvalidRequestError(f"url: {exc}; the hub calls only https endpoints at "
                                  "public addresses, unless an operator allows a private "
                                  "range (docs/webhooks.md).", code="invalid_webhook_url",
                                  field="url", reason=exc.reason) from exc
    return url


def _sealed(deps: Deps, sid: str, secret: str, until: int | None) -> dict[str, Any]:
    return {"sealed": deps.sealer.seal(secret.encode(), f"webhook:{sid}"), "until": until}


def _count(unit: str, by: int) -> Update:
    return Update(*keys.webhook_unit(unit), set={"unit": unit}, add={"active": by})


def view(item: Item) -> WebhookView:
    return WebhookView(
        id=item["id"], unit=item["unit"], url=item["url"], events=item["events"],
        priorities=item["priorities"], counterparts=item["counterparts"],
        description=item.get("description") or "", state=item["state"],
        created_at=iso(item["created_at"]), created_by=item["created_by"],
        updated_at=iso(item["updated_at"]), disabled_reason=item.get("disabled_reason"),
        failing_since=_iso_or_none(item.get("failing_since")),
        last_success_at=_iso_or_none(item.get("last_success_at")),
        secret_rotated_at=iso(item["secret_rotated_at"]) if item.get("secret_rotated_at")
        else None)


def _iso_or_none(at: object) -> str | None:
    return iso(int(str(at))) if at else None
