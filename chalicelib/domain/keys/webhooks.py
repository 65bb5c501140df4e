"""Table keys of webhook subscriptions (docs/webhooks.md, docs/data-model.md), part of
`chalicelib.domain.keys`: import them from there.

- `WEBHOOKS#{unit}` / `{id}`: a unit's subscriptions (one query lists them);
- `WEBHOOKS` / `{unit}`: the units with at least one active subscription and how many
  (`active`, ADDed in the transaction that changes one): what the outbox reads, cached,
  to know whether an event needs writing at all.
"""

from __future__ import annotations

WEBHOOK_UNITS = "WEBHOOKS"


def webhook_subscriptions(unit: str) -> str:
    return f"WEBHOOKS#{unit}"


def webhook(unit: str, subscription_id: str) -> tuple[str, str]:
    return webhook_subscriptions(unit), subscription_id


def webhook_unit(unit: str) -> tuple[str, str]:
    return WEBHOOK_UNITS, unit
