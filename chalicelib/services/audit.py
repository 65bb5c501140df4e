"""What is kept of every exchange once its content is gone: the message's trace (every
step with its time, R-SEND-5) and each unit's exchange history (R-PROP-11), by province
month. Metadata only, never content."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.ports import Item, Put
from chalicelib.domain.times import month_bounds, previous_month, province_month
from chalicelib.services.deps import Deps


def trace_put(deps: Deps, message_id: str, event: str, *, unit: str | None = None,
              detail: str | None = None) -> Put:
    at = deps.clock.now()
    pk, sk = keys.trace(message_id, at, deps.ids.new_id())
    return Put({"pk": pk, "sk": sk, "kind": "trace", "at": at, "event": event, "unit": unit,
                "detail": detail})


def history_put(deps: Deps, unit: str, message_id: str, event: str, *, peer: list[str],
                size: int, priority: str | None) -> Put:
    """One line of a unit's exchange history, in its partition of the province month:
    what the history report shows and filters on (`services/report_history.py`). Lines
    written before `priority` was kept have none: the report shows them with null."""
    at = deps.clock.now()
    pk, sk = keys.history(unit, province_month(at), at, message_id, event)
    return Put({"pk": pk, "sk": sk, "kind": "history", "at": at, "message": message_id,
                "event": event, "peer": peer, "size": size, "priority": priority})


def month_history(deps: Deps, unit: str, month: str, *, limit: int = 1000) -> list[Item]:
    """A unit's history lines of one province month, oldest first (at most `limit`).

    Lines written before the history moved to the province's month sit in the partition
    of their UTC month: the first seven hours of a province month are then in the
    previous month's partition, which is read for exactly that range first (every such
    line is older than every line written since)."""
    first, last = month_bounds(month)
    lines: list[Item] = []
    for partition in (previous_month(month), month):
        cursor: str | None = None
        while len(lines) < limit:
            page = deps.table.query(keys.history_partition(unit, partition),
                                    start=f"{first:012d}", end=f"{last:012d}~",
                                    limit=min(200, limit - len(lines)), cursor=cursor)
            lines.extend(page.items)
            cursor = page.cursor
            if cursor is None:
                break
    return lines
