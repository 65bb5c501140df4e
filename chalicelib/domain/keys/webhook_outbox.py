"""Table keys of the webhook outbox (docs/webhooks.md), part of `chalicelib.domain.keys`.

`WHOUT#{shard:02d}` / `{at:012d}#{id}`: the events of one change that some unit's
endpoint may want, written in the same transaction as the change; the drain reads the
shards oldest first and turns each into deliveries.
"""

from __future__ import annotations

OUTBOX_SHARDS = 8


def webhook_outbox_partition(shard: int) -> str:
    return f"WHOUT#{shard:02d}"


def webhook_outbox(shard: int, at: int, item_id: str) -> tuple[str, str]:
    return webhook_outbox_partition(shard), f"{at:012d}#{item_id}"
