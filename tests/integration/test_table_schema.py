"""Versioned schemas of the SQL tables (R-PROP-6, R-OPS-4): hosts that open one empty
database at the same moment apply each migration exactly once and all start; a database
newer than the code is refused (a host-by-host upgrade never lets an old host write into
a newer schema); a database of the first release, made before versions were recorded, is
taken as version 1. On a real PostgreSQL server and on SQLite files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from chalicelib.adapters import table_postgres, table_sqlite
from chalicelib.adapters.table_postgres import PostgresTable
from chalicelib.adapters.table_schema import Migration, latest
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.errors import SchemaVersionError
from chalicelib.domain.ports import Condition
from tests.integration.test_sqlite_group_commit import _together

OPENERS = 8
# Two more versions for the races: version 2 fails if it runs twice (no IF NOT EXISTS),
# version 3 leaves one row per time it ran.
LATER = (Migration(2, "a probe table", ("CREATE TABLE probe (n INTEGER NOT NULL)",)),
         Migration(3, "a row per run", ("INSERT INTO probe (n) VALUES (3)",)))


def _rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def test_migrations_must_be_numbered_in_order() -> None:
    assert latest([*table_postgres.MIGRATIONS, *LATER]) == 3
    with pytest.raises(ValueError, match="numbered"):
        latest([*table_postgres.MIGRATIONS, LATER[1]])


class TestPostgres:
    def test_hosts_opening_an_empty_database_at_once_apply_each_version_once(
            self, postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(table_postgres, "MIGRATIONS", (*table_postgres.MIGRATIONS, *LATER))

        def open_and_write(i: int) -> int:
            table = PostgresTable(postgres_database, max_size=2)
            try:
                table.put({"pk": "HOST", "sk": str(i), "n": i}, Condition(exists=False))
                return table.schema_version
            finally:
                table.close()

        assert _together(OPENERS, open_and_write) == [3] * OPENERS
        versions = _rows(postgres_database,
                         "SELECT version, host, pid, applied_at IS NOT NULL "
                         "FROM schema_versions ORDER BY version")
        assert [v[0] for v in versions] == [1, 2, 3]
        assert all(host and pid > 0 and stamped for _, host, pid, stamped in versions)
        assert _rows(postgres_database, "SELECT n FROM probe") == [(3,)]
        assert len(_rows(postgres_database, "SELECT 1 FROM items")) == OPENERS

    def test_a_database_newer_than_the_code_is_refused(self, postgres_database: str) -> None:
        first = PostgresTable(postgres_database)
        first.put({"pk": "P", "sk": "S", "v": 1})
        first.close()
        with psycopg.connect(postgres_database) as conn:  # a newer host migrated it
            conn.execute("INSERT INTO schema_versions (version, host, pid, what) "
                         "VALUES (2, 'newer-host', 1, 'of a later release')")
        with pytest.raises(SchemaVersionError) as refused:
            PostgresTable(postgres_database)
        message = str(refused.value)
        assert "schema version 2" in message and "version 1" in message
        assert "upgrade this host" in message
        assert postgres_database.rsplit("/", 1)[1] in message  # names the database...
        assert (refused.value.found, refused.value.known) == (2, 1)
        assert _rows(postgres_database, "SELECT version FROM schema_versions "
                                        "ORDER BY version") == [(1,), (2,)]

    def test_a_first_release_database_is_taken_as_version_1(
            self, postgres_database: str) -> None:
        with psycopg.connect(postgres_database) as conn:  # what the first release made
            for statement in table_postgres.MIGRATIONS[0].statements:
                conn.execute(statement)
            conn.execute("INSERT INTO items (pk, sk, data) VALUES "
                         """('P', 'S', '{"pk":"P","sk":"S","v":1}')""")
        table = PostgresTable(postgres_database)
        assert table.schema_version == 1
        assert table.get("P", "S") == {"pk": "P", "sk": "S", "v": 1}
        table.close()
        [(version, what)] = _rows(postgres_database, "SELECT version, what FROM "
                                                     "schema_versions")
        assert version == 1 and what.startswith("recognised")

    def test_an_up_to_date_database_opens_without_the_lock(
            self, postgres_database: str) -> None:
        PostgresTable(postgres_database).close()
        with psycopg.connect(postgres_database) as holder:  # another host holds the lock
            holder.execute("SELECT pg_advisory_lock(%s)", (table_postgres.SCHEMA_LOCK,))
            table = PostgresTable(postgres_database)
            table.put({"pk": "P", "sk": "S"})
            table.close()
        assert _rows(postgres_database, "SELECT version FROM schema_versions") == [(1,)]


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])


class TestSqlite:
    def test_hosts_opening_new_files_together_never_meet_a_locked_database(
            self, tmp_path: Path) -> None:
        """Switching a new file to WAL answers "database is locked" at once, without
        the busy timeout, to a connection that meets another one switching it: seen once
        in eight openers of one new file in about thirty tries. Every opener must open."""
        for round_ in range(40):
            path = tmp_path / f"t{round_}.sqlite3"

            def open_only(i: int, path: Path = path) -> int:
                table = SqliteTable(path)
                table.close()
                return i

            assert _together(OPENERS, open_only) == list(range(OPENERS))

    def test_openers_of_a_new_file_at_once_apply_each_version_once(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(table_sqlite, "MIGRATIONS", (*table_sqlite.MIGRATIONS, *LATER))
        path = tmp_path / "t.sqlite3"

        def open_and_write(i: int) -> int:
            table = SqliteTable(path)
            try:
                table.put({"pk": "HOST", "sk": str(i)}, Condition(exists=False))
                return table.schema_version
            finally:
                table.close()

        assert _together(OPENERS, open_and_write) == [3] * OPENERS
        assert _user_version(path) == 3
        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("SELECT n FROM probe").fetchall() == [(3,)]
            assert raw.execute("SELECT count(*) FROM items").fetchone() == (OPENERS,)

    def test_a_file_newer_than_the_code_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "t.sqlite3"
        SqliteTable(path).close()
        with closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA user_version = 7")
        with pytest.raises(SchemaVersionError) as refused:
            SqliteTable(path)
        message = str(refused.value)
        assert "schema version 7" in message and "version 1" in message
        assert str(path) in message and "upgrade this host" in message
        assert _user_version(path) == 7

    def test_a_first_release_file_is_taken_as_version_1(self, tmp_path: Path) -> None:
        path = tmp_path / "t.sqlite3"
        with closing(sqlite3.connect(path)) as raw:  # what the first release made
            for statement in table_sqlite.MIGRATIONS[0].statements:
                raw.execute(statement)
            raw.execute("""INSERT INTO items (pk, sk, data) VALUES
                           ('P', 'S', '{"pk":"P","sk":"S","v":1}')""")
            raw.commit()
        assert _user_version(path) == 0
        table = SqliteTable(path)
        assert table.schema_version == 1 and _user_version(path) == 1
        assert table.get("P", "S") == {"pk": "P", "sk": "S", "v": 1}
        table.close()

    def test_a_failed_migration_leaves_the_file_at_the_last_good_version(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        broken = Migration(2, "broken", ("CREATE TABLE half (n INTEGER)",
                                         "INSERT INTO nowhere VALUES (1)"))
        monkeypatch.setattr(table_sqlite, "MIGRATIONS", (*table_sqlite.MIGRATIONS, broken))
        path = tmp_path / "t.sqlite3"
        with pytest.raises(sqlite3.OperationalError, match="nowhere"):
            SqliteTable(path)
        assert _user_version(path) == 1
        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'half'"
                               ).fetchall() == []
