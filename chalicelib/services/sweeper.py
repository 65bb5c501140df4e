"""The scheduled sweeper (R-PROP-4, R-PROP-9, R-PROP-3): presence, deadlines, offline
destinations, abandoned uploads, unfinished broadcasts, counters left to add.

Due work sits in per-day partitions (`chalicelib/domain/deadlines.py`). Every effect is a
conditional write, so two sweeps that overlap tell each event once: a delivery expires
once, a warning claims its delivery's `warned` flag once, a rescheduled check replaces its
due item only if it still exists. A sweep has a budget (`LGSP_SWEEP_MAX_ITEMS`: due items
and deliveries handled); work on a broadcast that does not fit keeps its place in its due
item (`cursor`) and the next sweep goes on from there. A sweep that fails half-way leaves
its due item in place and the next sweep finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain import deadlines, events, keys, relay
from chalicelib.domain.deadlines import CHECK, DEADLINE, FANOUT, REORG, UPLOAD, WAITING
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.lifecycle import EXPIRE, DeliveryState, MessageState
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.domain.times import iso
from chalicelib.services import connections, counters, fanout, reorg, webhook_outbox
from chalicelib.services.audit import trace_put
from chalicelib.services.content_retention import delete_content_when_done
from chalicelib.services.deps import Deps
from chalicelib.services.endings import abandon_message, expire_delivery, purge_upload
from chalicelib.services.publish import tell
from chalicelib.services.schedule import due_put

log = logging.getLogger("lgsp.sweeper")
PAGE = 100

@dataclass
class SweepReport:
    connections_dropped: int = 0
    due_handled: int = 0
    due_failed: int = 0
    days_walked: int = 0
    deliveries_handled: int = 0
    counts_added: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def spent(self) -> int:
        return self.due_handled + self.deliveries_handled


def sweep(deps: Deps) -> SweepReport:
    report = SweepReport(connections_dropped=connections.drop_stale(deps))
    _walk_due(deps, report)
    report.counts_added = counters.drain(deps, limit=deps.settings.sweep_max_items)
    log.info("sweep: %s", report.as_dict())
    return report


def _walk_due(deps: Deps, report: SweepReport) -> None:
    now = deps.clock.now()
    today, end = deadlines.day_of(now), f"{now:012d}~"
    cursor_item = deps.table.get(*keys.SWEEP_CURSOR)
    start = cursor_item["day"] if cursor_item else deadlines.first_day(now)
    day, clean_until = start, start
    while day <= today and report.spent() < deps.settings.sweep_max_items:
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
    while report.spent() < deps.settings.sweep_max_items:
        page = deps.table.query(keys.due_partition(day), end=end, limit=PAGE, cursor=cursor)
        for item in page.items:
            try:
                finished = _handle(deps, item, report)
            except Exception:  # one bad item must not stop the others; it stays due
                log.exception("sweep: %s of %s failed", item["work"], item["message_id"])
                report.due_failed += 1
                clean = False
                continue
            report.due_handled += 1
            clean = clean and finished
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


Work = Callable[[Deps, Item, Item, SweepReport], bool]


def _handle(deps: Deps, due: Item, report: SweepReport) -> bool:
    """Do one due item's work; False if it is not finished (it stays, with its cursor)."""
    if due["work"] == REORG:  # a re-organisation whose effective day has come
        reorg.apply(deps, due["message_id"])
        deps.table.delete(due["pk"], due["sk"])
        return True
    msg = deps.table.get(*keys.message(due["message_id"]))
    work: dict[str, Work] = {UPLOAD: _abandon, DEADLINE: _expire, WAITING: _check_waiting,
                             FANOUT: _fan_out, CHECK: _check_package,
                             relay.RELAY: _hand_over, relay.REPORT: _report,
                             relay.COPY: _copy}
    if msg is not None and not work[due["work"]](deps, due, msg, report):
        return False
    deps.table.delete(due["pk"], due["sk"])
    return True


def _fan_out(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """A broadcast whose delivery (or its follow-up) was interrupted: finish it."""
    fanout.resume(deps, msg, due=True)
    return True


def _hand_over(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """Hand a message to the peer hubs of its remote destinations; again later if one
    is down (docs/federation.md)."""
    from chalicelib.services.relay_out import hand_over
    _again(deps, relay.RELAY, hand_over(deps, msg), msg)
    return True


def _report(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """Report outcomes at our units to the hub a relayed message came from."""
    from chalicelib.services.relay_reports import send_reports
    _again(deps, relay.REPORT, send_reports(deps, msg), msg)
    return True


def _copy(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """Copy mode: the content of a relayed message into our store, then delivered."""
    from chalicelib.services.relay_copy import copy_in
    _again(deps, relay.COPY, copy_in(deps, msg), msg)
    return True


def _again(deps: Deps, kind: str, at: int | None, msg: Item) -> None:
    if at is not None:
        deps.table.put(due_put(kind, at, msg["id"]).item)


def _check_package(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """An edXML package stored: read it, then deliver or refuse the message."""
    from chalicelib.services import edxml_intake
    edxml_intake.check(deps, msg)
    return True


def _abandon(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """The content never arrived: close the message, then purge what was uploaded."""
    if msg["state"] == MessageState.REQUESTED:
        abandon_message(deps, msg)
    if msg["state"] in (MessageState.REQUESTED, MessageState.ABANDONED):
        purge_upload(deps, msg)
    return True


def _each_delivery(deps: Deps, due: Item, msg: Item, report: SweepReport,
                   act: Callable[[Item], None]) -> bool:
    """Run `act` on the message's deliveries a page at a time from the due item's cursor;
    False (and the cursor saved in the due item) if the sweep's budget ran out first."""
    cursor = due.get("cursor")
    while True:
        if report.spent() >= deps.settings.sweep_max_items:
            _save_cursor(deps, due, cursor)
            return False
        page = deps.table.query(keys.message_partition(msg["id"]), prefix=keys.DELIVERIES,
                                limit=PAGE, cursor=cursor)
        for delivery in page.items:
            act(delivery)
        report.deliveries_handled += len(page.items)
        cursor = page.cursor
        if cursor is None:
            return True


def _save_cursor(deps: Deps, due: Item, cursor: str | None) -> None:
    try:
        deps.table.update(Update(due["pk"], due["sk"], set={"cursor": cursor},
                                 condition=Condition(exists=True)))
    except ConditionFailedError:
        return  # an overlapping sweep finished it


def _expire(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """The deadline passed: every destination that has not confirmed or rejected expires;
    the source is told, the content deleted (R-PROP-3)."""
    if msg["state"] != MessageState.VERIFIED:
        return True

    def expire(delivery: Item) -> None:
        if EXPIRE.allows(delivery["state"]):
            expire_delivery(deps, msg, delivery)

    if not _each_delivery(deps, due, msg, report, expire):
        return False
    delete_content_when_done(deps, msg["id"])
    return True


def _check_waiting(deps: Deps, due: Item, msg: Item, report: SweepReport) -> bool:
    """Warn the source of destinations offline too long while the message waits, once
    each; look again later for the others."""
    now = deps.clock.now()
    if msg["state"] != MessageState.VERIFIED or now >= msg["confirm_by"]:
        return True
    limit = msg["policy"].get("offline_limit_seconds") or deps.settings.offline_limit_seconds
    checks: list[int] = [due["next_check"]] if due.get("next_check") else []

    def check(delivery: Item) -> None:
        if (delivery["state"] != DeliveryState.AVAILABLE or delivery.get("warned")
                or delivery.get("via")):  # a unit of a peer hub: its hub warns
            return
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

    if not _each_delivery(deps, due, msg, report, check):
        if checks:  # remember the earliest next look of the pages already done
            _remember_next_check(deps, due, min(checks))
        return False
    if checks:
        deps.table.put(due_put(WAITING, min(checks), msg["id"]).item)
    return True


def _remember_next_check(deps: Deps, due: Item, at: int) -> None:
    try:
        deps.table.update(Update(due["pk"], due["sk"], set={"next_check": at},
                                 condition=Condition(exists=True)))
    except ConditionFailedError:
        return


def _warn(deps: Deps, msg: Item, unit: str, offline_since: int | None) -> None:
    now = deps.clock.now()
    told = [events.outcome(msg, "waiting", unit, now, reason="destination_offline",
                           offline_since=iso(offline_since) if offline_since else None)]
    try:
        deps.table.transact([
            Update(*keys.delivery(msg["id"], unit), set={"warned": True, "warned_at": now},
                   condition=Condition(equals={"state": DeliveryState.AVAILABLE,
                                               "warned": False})),
            trace_put(deps, msg["id"], "waiting", unit=unit, detail="destination_offline"),
            *webhook_outbox.ops(deps, told),
        ])
    except TransactionConflictError:
        return  # fetched, or warned by an overlapping sweep
    tell(deps, told)
