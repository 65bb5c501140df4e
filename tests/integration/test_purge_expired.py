"""Expired items leave the SQL tables (R-PROP-6: a hub that runs for years on SQLite or
PostgreSQL): every signed call leaves a nonce with a `ttl`, so without a purge the table
grows without end. The sweeper's holder deletes expired items in batches after each
sweep, as DynamoDB's TTL does on AWS; items not expired, or without a `ttl`, stay."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.adapters.table_json import JsonItemsTable
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import Put
from infra.local import sweeping


@pytest.fixture(params=["sqlite", "postgres"])
def table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JsonItemsTable]:
    opened: JsonItemsTable
    if request.param == "postgres":
        from chalicelib.adapters.table_postgres import PostgresTable
        opened = PostgresTable(request.getfixturevalue("postgres_database"))
    else:
        opened = SqliteTable(tmp_path / "table.sqlite3")
    yield opened
    opened.close()


def stored_rows(table: JsonItemsTable) -> int:
    """Rows in the engine, expired or not (reads already hide the expired ones)."""
    def count(conn: object) -> int:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])  # type: ignore[attr-defined]
    return table._run(count)


def test_the_sweepers_purge_deletes_every_expired_item_in_batches(
        table: JsonItemsTable, monkeypatch: pytest.MonkeyPatch) -> None:
    past, future = int(time.time()) - 60, int(time.time()) + 3600
    expired = 2 * sweeping.PURGE_BATCH + 17  # three batches
    for start in range(0, expired, 100):
        table.transact([Put({"pk": f"NONCE#{n}", "sk": "N", "ttl": past})
                        for n in range(start, min(start + 100, expired))])
    table.put({"pk": "NONCE#fresh", "sk": "N", "ttl": future})
    table.put({"pk": "UNIT#000.00.01.H99", "sk": "UNIT"})  # no ttl: kept for ever
    assert stored_rows(table) == expired + 2
    batches: list[int] = []
    purge = table.purge_expired

    def counted(limit: int | None = None) -> int:
        went = purge(limit=limit)
        batches.append(went)
        return went

    monkeypatch.setattr(table, "purge_expired", counted)
    assert sweeping.purge_expired(table) == expired
    assert batches == [sweeping.PURGE_BATCH, sweeping.PURGE_BATCH, 17]
    assert stored_rows(table) == 2
    assert table.get("NONCE#fresh", "N") is not None
    assert table.get("UNIT#000.00.01.H99", "UNIT") is not None
    assert sweeping.purge_expired(table) == 0
