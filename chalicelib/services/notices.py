"""Maintenance notices (R-OPS-4): operators publish and cancel them, every app and person
reads the current ones, and every unit online is told at once over the WebSocket.

Callable from the API and from the console alike, with a `Deps` and a `Caller`:

    view = notices.publish(deps, caller, NoticeRequest(title=..., body=..., severity=
                           "maintenance", ends_at=...))
    notices.cancel(deps, caller, view.id)
    banner = notices.current(deps).items

Reads are bounded (docs/data-model.md N1-N4): the current view is one range query of
`NOTICES#CURRENT` (at most `MAX_OPEN` notices are not yet ended at once), the history one
page of `NOTICES`. Publishing and cancelling are one transaction each, then one `notice`
event (`domain/events.py`) after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import events, keys, notices as rules
from chalicelib.domain.errors import ConflictError, NotFoundError, TransactionConflictError
from chalicelib.domain.notice_schemas import (
    CurrentNotices,
    NoticePage,
    NoticeRequest,
    NoticeView,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import webhook_outbox
from chalicelib.services.deps import Deps
from chalicelib.services.publish import tell
from chalicelib.services.roles import require_operator

PUBLISHED, CANCELLED = "published", "cancelled"
_ID = re.compile(r"^[0-9a-f]{1,64}$")


def publish(deps: Deps, caller: Caller, body: NoticeRequest) -> NoticeView:
    """Record a notice and tell every unit online (operators only)."""
    require_operator(deps, caller)
    now = deps.clock.now()
    starts = int(body.starts_at.timestamp()) if body.starts_at is not None else now
    ends = int(body.ends_at.timestamp())
    rules.check_window(starts, ends, now)
    rules.check_text("title", body.title, one_line=True)
    rules.check_text("body", body.body, one_line=False)
    if len(_not_ended(deps, now, limit=rules.MAX_OPEN, within=None)) >= rules.MAX_OPEN:
        raise ConflictError(f"{rules.MAX_OPEN} notices are already upcoming or active: "
                            "cancel one, or wait until one ends.", code="too_many_notices")
    notice_id = deps.ids.new_id()
    item: Item = {
        "kind": "notice", "id": notice_id, "title": body.title, "body": body.body,
        "severity": body.severity, "services": rules.affected(body.services),
        "starts_at": starts, "ends_at": ends, "status": PUBLISHED,
        "created_by": caller.actor, "created_by_unit": caller.unit, "created_at": now,
        "cancelled_at": None, "cancelled_by": None}
    hpk, hsk = keys.notice(notice_id)
    cpk, csk = keys.current_notice(ends, notice_id)
    view = _view(item, now)
    told = [events.notice(view.model_dump(mode="json"), now)]
    deps.table.transact([
        Put({"pk": hpk, "sk": hsk, **item}, Condition(exists=False)),
        Put({"pk": cpk, "sk": csk, **item, "ttl": ends + rules.DAY}, Condition(exists=False)),
        *webhook_outbox.ops(deps, told),
    ])
    tell(deps, told)
    return view


def cancel(deps: Deps, caller: Caller, notice_id: str) -> NoticeView:
    """Call off an upcoming or active notice (operators only) and tell every unit online.
    Cancelling twice answers the notice as cancelled the first time, telling no one."""
    require_operator(deps, caller)
    item = deps.table.get(*keys.notice(notice_id)) if _ID.match(notice_id) else None
    if item is None:
        raise NotFoundError("No such notice.", code="notice_not_found")
    now = deps.clock.now()
    if item["status"] == CANCELLED:
        return _view(item, now)
    if not rules.may_cancel(item, now):
        raise ConflictError("The notice has ended: it stays in the history as it was.",
                            code="notice_ended")
    change = {"status": CANCELLED, "cancelled_at": now, "cancelled_by": caller.actor}
    view = _view({**item, **change}, now)
    told = [events.notice(view.model_dump(mode="json"), now)]
    try:
        deps.table.transact([
            Update(*keys.notice(notice_id), set=change,
                   condition=Condition(equals={"status": PUBLISHED})),
            Delete(*keys.current_notice(item["ends_at"], notice_id)),
            *webhook_outbox.ops(deps, told),
        ])
    except TransactionConflictError:  # another operator cancelled it meanwhile
        again = deps.table.get(*keys.notice(notice_id))
        assert again is not None, "notices are never deleted"
        return _view(again, now)
    tell(deps, told)
    return view


def current(deps: Deps) -> CurrentNotices:
    """What apps and the console's banner show: active notices, then those starting
    within 7 days. Any authenticated caller."""
    now = deps.clock.now()
    _, high = rules.current_ends_between(now)
    shown = rules.current(_not_ended(deps, now, limit=2 * rules.MAX_OPEN, within=high), now)
    return CurrentNotices(items=[_view(n, now) for n in shown], server_time=iso(now))


def list_all(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> NoticePage:
    """Every notice ever published, newest first (operators only)."""
    require_operator(deps, caller)
    now = deps.clock.now()
    page = deps.table.query(keys.NOTICES, limit=limit, cursor=cursor, descending=True)
    return NoticePage(items=[_view(i, now) for i in page.items], next_cursor=page.cursor)


def _not_ended(deps: Deps, now: int, *, limit: int, within: int | None) -> list[Item]:
    """The notices not cancelled whose end is after `now` (and not after `within`): one
    query of the current view, whose ended notices lie below the range until their TTL
    removes them. Publishing keeps at most `MAX_OPEN` in it, so one page holds them."""
    end = f"{keys.notice_end(within)}~" if within is not None else None
    page = deps.table.query(keys.CURRENT_NOTICES, start=keys.notice_end(now + 1), end=end,
                            limit=limit)
    return page.items


def _view(item: Mapping[str, Any], now: int) -> NoticeView:
    cancelled = item.get("cancelled_at")
    return NoticeView(
        id=item["id"], title=item["title"], body=item["body"], severity=item["severity"],
        services=item["services"], starts_at=iso(item["starts_at"]),
        ends_at=iso(item["ends_at"]), state=rules.state_at(item, now),
        created_by=item["created_by"], created_by_unit=item["created_by_unit"],
        created_at=iso(item["created_at"]), cancelled_at=iso(cancelled) if cancelled else None,
        cancelled_by=item.get("cancelled_by"))
