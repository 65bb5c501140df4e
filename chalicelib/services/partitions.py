"""Reading a whole partition that is bounded by design (a message's deliveries, a unit's
connections, an app's keys), page after page."""

from __future__ import annotations

from chalicelib.domain.ports import Item
from chalicelib.services.deps import Deps


def every_item(deps: Deps, pk: str, *, prefix: str | None = None,
               descending: bool = False) -> list[Item]:
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = deps.table.query(pk, prefix=prefix, limit=200, cursor=cursor,
                                descending=descending)
        items.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            return items
