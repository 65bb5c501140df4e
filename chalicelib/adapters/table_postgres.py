"""The `Table` port on PostgreSQL (on-prem, several hosts on one database; docs/deploy.md).

Items are JSON text in `items(pk, sk, data, ttl)` (the operations are `JsonItemsTable`'s),
keys in the "C" collation so that `sk` order is DynamoDB's byte order. Each write is one
transaction at SERIALIZABLE isolation: it reads the items it conditions on, checks the
conditions, writes; a transaction that would not be serializable with a concurrent one is
aborted by the server and run again (at most `RETRIES` times, then `ContentionError`), so
a read-check-write is atomic on any number of hosts. Items whose `ttl` lies in the past
count as absent everywhere and are purged by `purge_expired`.

The schema is versioned (`MIGRATIONS`, recorded in `schema_versions`: version, when, by
which host and process): on open, each missing version is applied in a transaction of its
own under an advisory lock, so hosts starting at once apply each exactly once; a database
newer than this code is refused with `SchemaVersionError`.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from chalicelib.adapters.table_json import JsonItemsTable
from chalicelib.adapters.table_schema import Migration, migrate
from chalicelib.domain.errors import ContentionError

__all__ = ["MIGRATIONS", "PostgresTable"]

T = TypeVar("T")
RETRIES = 20
STALE_RETRIES = 3  # dead pooled connections met in a row before giving up
SCHEMA_LOCK = 0x4C475350  # "LGSP": one host changes the schema at a time
MIGRATIONS = (
    Migration(1, "items as JSON, keyed (pk, sk) in the C collation, with an index of the "
                 "items that expire", (
        'CREATE TABLE IF NOT EXISTS items (pk TEXT COLLATE "C" NOT NULL, '
        'sk TEXT COLLATE "C" NOT NULL, data TEXT NOT NULL, ttl BIGINT, PRIMARY KEY (pk, sk))',
        "CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL",
    )),
)
_VERSIONS = ("CREATE TABLE IF NOT EXISTS schema_versions (version INTEGER PRIMARY KEY, "
             "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), host TEXT NOT NULL, "
             "pid INTEGER NOT NULL, what TEXT NOT NULL)")
_NEWEST = "SELECT coalesce(max(version), 0) FROM schema_versions"


def _scalar(conn: Any, sql: str) -> Any:
    return conn.execute(sql).fetchone()[0]


class PostgresTable(JsonItemsTable):
    """`Table` on PostgreSQL through a pool of connections (psycopg 3)."""

    MARK = "%s"
    UPSERT = ("INSERT INTO items (pk, sk, data, ttl) VALUES (%s, %s, %s, %s) "
              "ON CONFLICT (pk, sk) DO UPDATE SET data = EXCLUDED.data, ttl = EXCLUDED.ttl")

    def __init__(self, dsn: str, clock: Callable[[], float] | None = None, *,
                 min_size: int = 1, max_size: int = 10) -> None:
        from psycopg_pool import ConnectionPool
        super().__init__(clock)
        self._pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=True,
                                    kwargs={"autocommit": True})
        try:
            with self._pool.connection() as conn:
                where = f"in PostgreSQL database {conn.info.dbname!r}"  # never the DSN
            self.schema_version = migrate(
                MIGRATIONS, where, version_now=self._recorded_version,
                locked=self._schema_transaction, version_in=self._version_in,
                record=self._record)
        except BaseException:
            self._pool.close()
            raise

    def close(self) -> None:
        self._pool.close()

    # ---- the schema's version

    def _recorded_version(self) -> int:
        """The newest version recorded, read without the lock (0: none recorded)."""
        with self._pool.connection() as conn:
            if _scalar(conn, "SELECT to_regclass('schema_versions')") is None:
                return 0
            return int(_scalar(conn, _NEWEST))

    @contextmanager
    def _schema_transaction(self) -> Iterator[Any]:
        """One transaction holding the schema's advisory lock (released at its end)."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute(_VERSIONS)
            yield conn

    def _version_in(self, conn: Any) -> int:
        """The newest version recorded, taking a database of the first release (an
        `items` table and no version yet) as version 1 without creating anything again."""
        version = int(_scalar(conn, _NEWEST))
        if version == 0 and _scalar(conn, "SELECT to_regclass('items')") is not None:
            self._record(conn, Migration(1, "recognised: made before versions were "
                                            "recorded", ()))
            version = 1
        return version

    @staticmethod
    def _record(conn: Any, migration: Migration) -> None:
        conn.execute("INSERT INTO schema_versions (version, host, pid, what) "
                     "VALUES (%s, %s, %s, %s)",
                     (migration.version, socket.gethostname(), os.getpid(), migration.what))

    # ---- the engine's hooks

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        with self._pool.connection() as conn:
            yield conn

    def _read(self, work: Callable[[Any], T]) -> T:
        return self._on_live_connection(work)

    def _write_plain(self, work: Callable[[Any], T]) -> T:
        """The purge conditions on nothing: one autocommit statement, no isolation needed,
        and safe to run again."""
        return self._on_live_connection(work)

    def _on_live_connection(self, work: Callable[[Any], T]) -> T:
        """`work` (reads, or a write safe to repeat) on a pooled connection, run again on
        a fresh one if the server had dropped it (a restart, a failover): the pool finds
        out only by using it. The pool's idle connections are checked then, so the next
        calls do not meet the dead ones one by one."""
        from psycopg import OperationalError
        for attempt in range(STALE_RETRIES + 1):
            with self._pool.connection() as conn:
                try:
                    return work(conn)
                except OperationalError:
                    if not conn.broken or attempt == STALE_RETRIES:
                        raise
            self._pool.check()
        raise AssertionError("unreachable")

    def _began(self, conn: Any, attempt: int) -> bool:
        """Begin the write's transaction on `conn`; False if the server had dropped it
        (nothing was done: the caller takes another connection, the pool's idle ones
        checked meanwhile). A connection lost later in a transaction is not retried: its
        COMMIT may have happened."""
        from psycopg import OperationalError
        try:
            conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        except OperationalError:
            if not conn.broken or attempt >= STALE_RETRIES:
                raise
            self._pool.check()
            return False
        return True

    def _run(self, work: Callable[[Any], T]) -> T:
        """`work` in one SERIALIZABLE transaction, run again when the server aborts it
        for a concurrent one."""
        from psycopg import errors
        for attempt in range(RETRIES):
            try:
                with self._pool.connection() as conn:
                    if not self._began(conn, attempt):
                        continue  # a connection the server had dropped: nothing was done
                    try:
                        result = work(conn)
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                    return result
            except (errors.SerializationFailure, errors.DeadlockDetected,
                    errors.UniqueViolation):
                time.sleep(min(0.2, 0.005 * 2 ** attempt))
        raise ContentionError("The table stayed busy with concurrent writes of the same "
                              "items.")
