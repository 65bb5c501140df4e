"""Counters and history by the province's day (issue item 13, R-PROP-11, R-PROP-12):
Asia/Ho_Chi_Minh is UTC+7, so a message sent at 23:30 UTC counts for the next day, and
the figures written before the counters moved to the province's day stay readable."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import keys
from chalicelib.services import counters
from chalicelib.services.audit import month_history
from tests.integration.test_exchange_flow import send
from tests.support.hub import UNIT_A, UNIT_B, World

LATE_EVENING_UTC = int(datetime(2026, 11, 28, 23, 30, tzinfo=UTC).timestamp())  # 06:30 on 29
NEW_MONTH_NIGHT_UTC = int(datetime(2026, 11, 30, 20, 0, tzinfo=UTC).timestamp())  # 1 Dec 03:00


def at(hub: World, epoch: int) -> None:
    hub.deps.clock.value = epoch  # type: ignore[attr-defined]


def test_a_message_sent_at_half_past_eleven_utc_counts_for_the_next_province_day(
        hub: World) -> None:
    at(hub, LATE_EVENING_UTC)
    send(hub, b"x" * 100, [UNIT_B])
    assert counters.day_counters(hub.deps, UNIT_A, "2026-11-29")["sent"] == 1
    assert counters.day_counters(hub.deps, UNIT_A, "2026-11-28") == {}
    assert counters.month_counters(hub.deps, UNIT_A, "2026-11") == {
        "sent": 1, "bytes_sent": 100, "sent_khan": 1}


def test_counters_written_by_utc_day_before_stay_readable(hub: World) -> None:
    pk, sk = keys.stats_utc_day(UNIT_A, "2026-11-28")
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "daily_stats", "unit": UNIT_A,
                        "sent": 3, "bytes_sent": 300})
    at(hub, LATE_EVENING_UTC + 86400)  # 30 Nov, province day
    send(hub, b"y" * 10, [UNIT_B])
    assert counters.day_counters(hub.deps, UNIT_A, "2026-11-28") == {"sent": 3,
                                                                    "bytes_sent": 300}
    assert counters.month_counters(hub.deps, UNIT_A, "2026-11") == {
        "sent": 4, "bytes_sent": 310, "sent_khan": 1}
    days = counters.daily_counters(hub.deps, UNIT_A, "2026-11-01", "2026-11-30")
    assert days == {"2026-11-28": {"sent": 3, "bytes_sent": 300},
                    "2026-11-30": {"sent": 1, "bytes_sent": 10, "sent_khan": 1}}


def test_history_is_kept_by_province_month_and_old_utc_months_are_read_too(
        hub: World) -> None:
    at(hub, NEW_MONTH_NIGHT_UTC)
    message_id = send(hub, b"z", [UNIT_B])
    assert hub.deps.table.query(keys.history_partition(UNIT_A, "2026-12"), limit=5).items
    assert not hub.deps.table.query(keys.history_partition(UNIT_A, "2026-11"), limit=5).items
    # A line written before, at the same instant, sits in its UTC month's partition.
    pk, sk = keys.history(UNIT_A, "2026-11", NEW_MONTH_NIGHT_UTC - 60, "old", "sent")
    hub.deps.table.put({"pk": pk, "sk": sk, "kind": "history", "at": NEW_MONTH_NIGHT_UTC - 60,
                        "message": "old", "event": "sent", "peer": [UNIT_B], "size": 1})
    december = month_history(hub.deps, UNIT_A, "2026-12")
    assert [line["message"] for line in december] == ["old", message_id]
    assert month_history(hub.deps, UNIT_A, "2026-11") == []


def test_failures_are_counted_by_province_hour_for_the_last_24_hours(hub: World) -> None:
    """The dashboard's "failures of the last 24 h": a rejection lands in its province
    hour; a success adds no hourly item at all; an hour leaves the window 24 h later."""
    at(hub, LATE_EVENING_UTC)  # 06:30 on the 29th, province time
    message_id = send(hub, b"z" * 10, [UNIT_B])
    owner = counters.province_shard(UNIT_A)
    hours = hub.deps.table.query(keys.stats_partition(owner), prefix=keys.STATS_HOUR)
    assert hours.items == []  # nothing failed yet: a success writes no hour
    refused = hub.b.post(f"/v1/messages/{message_id}/reject", {"reason": "Sai nơi nhận"})
    assert refused.status == 200, refused.body
    recent = counters.recent_failures(hub.deps, LATE_EVENING_UTC + 1800)
    assert len(recent) == 24 and recent[-1][0] == "2026-11-29T07"
    assert dict(recent)["2026-11-29T06"] == {"rejected": 1}
    later = counters.recent_failures(hub.deps, LATE_EVENING_UTC + 24 * 3600)
    assert all(counts == {} for _, counts in later)
