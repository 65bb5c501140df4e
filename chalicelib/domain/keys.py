"""Key builders of the one table (see docs/data-model.md for every access pattern).

Each item says what it is by its `pk` prefix. Every read the API needs is a get of one
item or a query of one partition: nothing here needs a scan.
"""

from __future__ import annotations

META = "META"


def unit(code: str) -> tuple[str, str]:
    return f"UNIT#{code}", META


def app(app_id: str) -> tuple[str, str]:
    return f"APP#{app_id}", META


def unit_app(code: str, app_id: str) -> tuple[str, str]:
    return f"UNIT#{code}", f"APP#{app_id}"


def access_key(key_id: str) -> tuple[str, str]:
    return f"KEY#{key_id}", META


def app_key(app_id: str, key_id: str) -> tuple[str, str]:
    """Link from an app to one of its access keys (the app's keys are one partition)."""
    return f"APP#{app_id}", f"KEY#{key_id}"


def message(message_id: str) -> tuple[str, str]:
    return f"MSG#{message_id}", META


def delivery(message_id: str, unit_code: str) -> tuple[str, str]:
    return f"MSG#{message_id}", f"DEST#{unit_code}"


def trace(message_id: str, at: int, event_id: str) -> tuple[str, str]:
    return f"MSG#{message_id}", f"EVT#{at:012d}#{event_id}"


def inbox(unit_code: str, sort_key: str) -> tuple[str, str]:
    return f"INBOX#{unit_code}", sort_key


def outbox(unit_code: str, created_at: int, message_id: str) -> tuple[str, str]:
    return f"OUTBOX#{unit_code}", f"{created_at:012d}#{message_id}"


def history(unit_code: str, month: str, at: int, message_id: str, event: str
            ) -> tuple[str, str]:
    """Per-unit exchange history, one partition per unit and month ('2026-11')."""
    return f"HIST#{unit_code}#{month}", f"{at:012d}#{message_id}#{event}"


def daily_stats(unit_code: str, day: str) -> tuple[str, str]:
    return f"STAT#{unit_code}", f"DAY#{day}"


def idempotency(app_id: str, key: str) -> tuple[str, str]:
    return f"IDEM#{app_id}#{key}", META


def nonce(key_id: str, value: str) -> tuple[str, str]:
    """A nonce seen with a key, remembered (with a TTL) for the clock-skew window."""
    return f"NONCE#{key_id}#{value}", META


def connection(unit_code: str, connection_id: str) -> tuple[str, str]:
    """A live WebSocket connection of a unit (fan-out queries the unit's partition)."""
    return f"CONN#{unit_code}", connection_id


def connection_owner(connection_id: str) -> tuple[str, str]:
    """Which unit holds a connection: `$disconnect` and messages carry only its id."""
    return f"WS#{connection_id}", META


ONLINE = "ONLINE"


def online(unit_code: str) -> tuple[str, str]:
    """Index of units online now (one partition: the sweeper and operators query it)."""
    return ONLINE, unit_code


def presence(unit_code: str) -> tuple[str, str]:
    """A unit's presence state: online or offline, and since when."""
    return f"UNIT#{unit_code}", "PRESENCE"


def presence_history(unit_code: str, at: int, event_id: str, event: str) -> tuple[str, str]:
    """Connect/disconnect and online/offline history of a unit (R-PROP-12)."""
    return f"PRES#{unit_code}", f"{at:012d}#{event_id}#{event}"


def due(day_text: str, due_at: int, kind: str, message_id: str) -> tuple[str, str]:
    """Work the sweeper must do at `due_at`, one partition per UTC day ('2026-11-29')."""
    return f"DUE#{day_text}", f"{due_at:012d}#{kind}#{message_id}"


SWEEP_CURSOR = ("SWEEP", "CURSOR")
