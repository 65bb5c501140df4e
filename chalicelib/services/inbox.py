"""Listing an inbox (R-RECV-1): what waits for the caller's unit.

Apart from `services/receive.py` (fetch, confirm, reject), so that a cold function whose
first call lists an inbox does not import the closing machinery (P5b,
docs/performance.md); `receive.inbox` names the same function.
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.schemas import InboxItem, InboxPage
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services.deps import Deps


def inbox(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> InboxPage:
    """What waits for the caller's unit, Hỏa tốc first, then oldest first."""
    page = deps.table.query(keys.inbox_partition(caller.unit), limit=limit, cursor=cursor)
    items = [InboxItem(
        id=i["id"], source=i["source"], title=i["title"], priority=i["priority"],
        data_type=i["data_type"], protocol=i["protocol"], size=i["size"],
        file_name=i["file_name"], content_type=i["content_type"], state=i["state"],
        available_at=iso(i["available_at"]), confirm_by=iso(i["confirm_by"]),
    ) for i in page.items]
    return InboxPage(items=items, next_cursor=page.cursor)
