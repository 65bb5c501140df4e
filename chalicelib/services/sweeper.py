"""The scheduled sweeper (R-PROP-4, R-PROP-9, R-PROP-3): presence, deadlines, offline
destinations, abandoned uploads.

Due work sits in per-day partitions (`chalicelib/domain/deadlines.py`). Every effect is a
conditional write, so two sweeps that overlap tell each event once: a delivery expires
once, a warning claims its delivery's `warned` flag once, a rescheduled check replaces its
due item only if it still exists. A sweep that fails half-way leaves its due item in place
and the next sweep finishes the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.domain import deadlines, events, keys
from chalicelib.domain.deadlines import DEADLINE, REORG, UPLOAD, WAITING
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.exchange import (
    ABANDONED,
    AVAILABLE,
    EXPIRED,
    OPEN_DELIVERY,
    PENDING,
    REQUESTED,
    VERIFIED,
    iso,
)
from chalicelib.domain.ports import Condition, Delete, Item, TransactOp, Update
from chalicelib.services import connections, reorg
from chalicelib.services.deps import Deps
from chalicelib.services.records import (
    count,
    due_put,
    history_put,
    message_partition,
    tell,
    trace_put,
)
from chalicelib.services.verify import finish_if_done

log = logging.getLogger("lgsp.sweeper")


@dataclass
class SweepReport:
    connections_dropped: int = 0
    due_handled: int = 0
    due_failed: int = 0
    days_walked: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def sweep(deps: Deps) -> SweepReport:
    report = SweepReport(connections_dropped=connections.drop_stale(deps))
    _walk_due(deps, report)
    log.info("sweep: %s", report.as_dict())
    return report


def _walk_due(deps: Deps, report: SweepReport) -> None:
    now = deps.clock.now()
    today, end = deadlines.day_of(now), f"{now:012d}~"
    cursor_item = deps.table.get(*keys.SWEEP_CURSOR)
    start = cursor_item["day"] if cursor_item else deadlines.first_day(now)
    day, clean_until = start, start
    while day <= today and report.due_handled < deps.settings.sweep_max_items:
        report.days_walked += 1
        clean = _sweep_day(deps, day, end, report)
        if clean and day < today and clean_until == day:
            clean_until = deadlines.next_day(day)
        day = deadlines.next_day(day)
    if clean_until != start:
        _move_cursor(deps, cursor_item, clean_until)


def _sweep_day(deps: Deps, day: str, end: str, report: SweepReport) -> bool:
    """Handle what is due in one day's partition; True if nothing due is left there."""
    clean, cursor = True, None
    while report.due_handled < deps.settings.sweep_max_items:
        page = deps.table.query(f"DUE#{day}", end=end, limit=100, cursor=cursor)
        for item in page.items:
            try:
                _handle(deps, item)
                report.due_handled += 1
            except Exception:  # one bad item must not stop the others; it stays due
                log.exception("sweep: %s of %s failed", item["work"], item["message_id"])
                report.due_failed += 1
                clean = False
        cursor = page.cursor
        if cursor is None:
            return clean
    return False


def _move_cursor(deps: Deps, current: Item | None, day: str) -> None:
    pk, sk = keys.SWEEP_CURSOR
    condition = (Condition(equals={"day": current["day"]}) if current
                 else Condition(exists=False))
    try:
        deps.table.put({"pk": pk, "sk": sk, "kind": "sweep_cursor", "day": day}, condition)
    except ConditionFailedError:
        return  # an overlapping sweep moved it


def _handle(deps: Deps, due: Item) -> None:
    if due["work"] == REORG:  # a re-organisation whose effective day has come
        reorg.apply(deps, due["message_id"])
        deps.table.delete(due["pk"], due["sk"])
        return
    msg = deps.table.get(*keys.message(due["message_id"]))
    work = {UPLOAD: _abandon, DEADLINE: _expire, WAITING: _check_waiting}[due["work"]]
    if msg is not None:
        work(deps, due, msg)
    deps.table.delete(due["pk"], due["sk"])


def _deliveries(deps: Deps, message_id: str) -> list[Item]:
    return [i for i in message_partition(deps, message_id) if i["sk"].startswith("DEST#")]


def _abandon(deps: Deps, due: Item, msg: Item) -> None:
    """The content never arrived: close the message, then purge what was uploaded."""
    if msg["state"] == REQUESTED:
        now = deps.clock.now()
        ops: list[TransactOp] = [
            Update(*keys.message(msg["id"]), set={"state": ABANDONED, "abandoned_at": now},
                   condition=Condition(equals={"state": REQUESTED})),
            Update(*keys.outbox(msg["source"], msg["created_at"], msg["id"]),
                   set={"state": ABANDONED}),
            trace_put(deps, msg["id"], "abandoned", unit=msg["source"],
                      detail="content_never_arrived"),
        ]
        ops += [Update(*keys.delivery(msg["id"], unit), set={"state": ABANDONED},
                       condition=Condition(equals={"state": PENDING})) for unit in msg["to"]]
        try:
            deps.table.transact(ops)
        except TransactionConflictError:
            return  # completed or abandoned meanwhile
        tell(deps, (events.outcome(msg, "expired", unit, now, reason="content_never_arrived")
                    for unit in msg["to"]))
    if msg["state"] in (REQUESTED, ABANDONED):
        if msg.get("upload_id"):
            deps.objects.abort_multipart(msg["object_key"], msg["upload_id"])
        deps.objects.delete(msg["object_key"])


def _expire(deps: Deps, due: Item, msg: Item) -> None:
    """The deadline passed: every destination that has not confirmed or rejected expires;
    the source is told, the content deleted (R-PROP-3)."""
    if msg["state"] != VERIFIED:
        return
    for delivery in _deliveries(deps, msg["id"]):
        if delivery["state"] in OPEN_DELIVERY:
            _expire_one(deps, msg, delivery)
    finish_if_done(deps, msg["id"])


def _expire_one(deps: Deps, msg: Item, delivery: Item) -> None:
    unit, now = delivery["unit"], deps.clock.now()
    try:
        deps.table.transact([
            Update(*keys.delivery(msg["id"], unit), set={"state": EXPIRED, "expired_at": now},
                   condition=Condition(one_of={"state": list(OPEN_DELIVERY)})),
            Delete(*keys.inbox(unit, delivery["inbox_sk"])),
            Update(*keys.message(msg["id"]), add={"remaining": -1},
                   condition=Condition(equals={"state": VERIFIED})),
            trace_put(deps, msg["id"], EXPIRED, unit=unit),
            history_put(deps, unit, msg["id"], EXPIRED, peer=[msg["source"]],
                        size=msg["size"]),
            count(deps, msg["source"], expired=1),
        ])
    except TransactionConflictError:
        return  # confirmed, rejected or expired meanwhile
    tell(deps, [events.outcome(msg, "expired", unit, now)])


def _check_waiting(deps: Deps, due: Item, msg: Item) -> None:
    """Warn the source of destinations offline too long while the message waits, once
    each; look again later for the others."""
    now = deps.clock.now()
    if msg["state"] != VERIFIED or now >= msg["confirm_by"]:
        return
    limit = msg["policy"].get("offline_limit_seconds") or deps.settings.offline_limit_seconds
    checks: list[int] = []
    for delivery in _deliveries(deps, msg["id"]):
        if delivery["state"] != AVAILABLE or delivery.get("warned"):
            continue
        unit = delivery["unit"]
        presence = deps.table.get(*keys.presence(unit))
        online = deps.table.get(*keys.online(unit)) is not None
        verdict = deadlines.waiting_verdict(
            now=now, available_at=delivery["available_at"], online=online,
            offline_since=presence["since"] if presence and not online else None,
            limit=limit, confirm_by=msg["confirm_by"])
        if verdict.warn:
            _warn(deps, msg, unit, presence["since"] if presence else None)
        elif verdict.next_check is not None:
            checks.append(verdict.next_check)
    if checks:
        deps.table.put(due_put(WAITING, min(checks), msg["id"]).item)


def _warn(deps: Deps, msg: Item, unit: str, offline_since: int | None) -> None:
    now = deps.clock.now()
    try:
        deps.table.transact([
            Update(*keys.delivery(msg["id"], unit), set={"warned": True, "warned_at": now},
                   condition=Condition(equals={"state": AVAILABLE, "warned": False})),
            trace_put(deps, msg["id"], "waiting", unit=unit, detail="destination_offline"),
        ])
    except TransactionConflictError:
        return  # fetched, or warned by an overlapping sweep
    tell(deps, [events.outcome(msg, "waiting", unit, now, reason="destination_offline",
                               offline_since=iso(offline_since) if offline_since else None)])
