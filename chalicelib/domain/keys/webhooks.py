"""Table keys of webhooks (docs/webhooks.md, docs/data-model.md), part of
`chalicelib.domain.keys`: import them from there.

- `WEBHOOKS#{unit}` / `{id}`: a unit's endpoints (one query lists them);
- `WEBHOOKS` / `{unit}`: the units with at least one active endpoint and how many
  (`active`, ADDed in the transaction that changes one): what the outbox reads, cached,
  to know whether an event needs writing at all;
- `WHOUT#{shard:02d}` / `{at:012d}#{id}`: the outbox, the events of one change that some
  unit's endpoint may want, written in the same transaction as the change;
- `WHDUE#{shard:02d}` / `{next_at:012d}#{endpoint}#{event}`: a delivery waiting for its
  next attempt (an endpoint's deliveries all in one shard), read up to now;
- `WHLOG#{endpoint}` / `{at:012d}#{event}#{attempt}`: the attempts, kept 7 days;
- `WHDEAD#{endpoint}` / `{event}`: the dead letters, kept 30 days.
"""

from __future__ import annotations

import zlib

__all__ = ["DUE_SHARDS", "OUTBOX_SHARDS", "WEBHOOK_UNITS", "webhook", "webhook_attempt",
           "webhook_attempts", "webhook_dead", "webhook_dead_letters", "webhook_due",
           "webhook_due_partition", "webhook_outbox", "webhook_outbox_partition",
           "webhook_subscriptions", "webhook_unit"]

WEBHOOK_UNITS = "WEBHOOKS"
OUTBOX_SHARDS = 8
DUE_SHARDS = 8


def webhook_subscriptions(unit: str) -> str:
    return f"WEBHOOKS#{unit}"


def webhook(unit: str, subscription_id: str) -> tuple[str, str]:
    return webhook_subscriptions(unit), subscription_id


def webhook_unit(unit: str) -> tuple[str, str]:
    return WEBHOOK_UNITS, unit


def webhook_outbox_partition(shard: int) -> str:
    return f"WHOUT#{shard:02d}"


def webhook_outbox(shard: int, at: int, item_id: str) -> tuple[str, str]:
    return webhook_outbox_partition(shard), f"{at:012d}#{item_id}"


def webhook_due_partition(shard: int) -> str:
    return f"WHDUE#{shard:02d}"


def webhook_due(subscription_id: str, next_at: int, event_id: str) -> tuple[str, str]:
    shard = zlib.crc32(subscription_id.encode()) % DUE_SHARDS
    return webhook_due_partition(shard), f"{next_at:012d}#{subscription_id}#{event_id}"


def webhook_attempts(subscription_id: str) -> str:
    return f"WHLOG#{subscription_id}"


def webhook_attempt(subscription_id: str, at: int, event_id: str,
                    attempt: int) -> tuple[str, str]:
    return webhook_attempts(subscription_id), f"{at:012d}#{event_id}#{attempt:04d}"


def webhook_dead_letters(subscription_id: str) -> str:
    return f"WHDEAD#{subscription_id}"


def webhook_dead(subscription_id: str, event_id: str) -> tuple[str, str]:
    return webhook_dead_letters(subscription_id), event_id
