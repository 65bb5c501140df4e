"""The `Table` port on one embedded SQLite file (the single-machine host).

Items are JSON in `items(pk, sk, data, ttl)` (the operations are `JsonItemsTable`'s). The
file is in WAL mode, so readers never wait for the writer: reads use a small pool of
connections of their own.

Writes go through one connection and commit as a group: a write queues its work, and
whichever writer holds the write lock runs every queued write in one `BEGIN IMMEDIATE`
transaction, each inside its own savepoint (a failed condition undoes only that write),
then commits once. Each write still returns only after the commit that made it durable
(`synchronous = FULL`), and sees every write that returned before it was queued (and
those of its group before it), so the semantics are those of one write per transaction;
concurrent writers share the fsync instead of queueing for one each. The read-check-write
of each write is atomic even when another process writes the same file (it waits up to
the busy timeout for the lock).
The schema's version is the file's `PRAGMA user_version` (`MIGRATIONS`, applied on open,
each in its own `BEGIN IMMEDIATE`; a newer file is refused with `SchemaVersionError`).
Items whose `ttl` lies in the past count as absent everywhere and are purged lazily.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from chalicelib.adapters.table_json import JsonItemsTable
from chalicelib.adapters.table_schema import Migration, migrate

__all__ = ["MIGRATIONS", "SqliteTable"]

MIGRATIONS = (
    Migration(1, "items as JSON, keyed (pk, sk), with an index of the items that expire", (
        "CREATE TABLE IF NOT EXISTS items (pk TEXT NOT NULL, sk TEXT NOT NULL,"
        " data TEXT NOT NULL, ttl INTEGER, PRIMARY KEY (pk, sk)) WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL",
    )),
)
MAX_GROUP = 64  # writes committed together at most
READERS = 8  # idle read connections kept
T = TypeVar("T")


class _Write(Generic[T]):
    """One queued write: its work, and once its group committed, its result or error."""

    def __init__(self, work: Callable[[sqlite3.Connection], T]) -> None:
        self.work = work
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class SqliteTable(JsonItemsTable):
    """`Table` on one SQLite file, safe across threads and across processes."""

    MARK = "?"
    UPSERT = "INSERT OR REPLACE INTO items (pk, sk, data, ttl) VALUES (?, ?, ?, ?)"

    def __init__(self, path: str | os.PathLike[str],
                 clock: Callable[[], float] | None = None, *,
                 busy_timeout_ms: int = 30_000) -> None:
        super().__init__(clock)
        self._lock = threading.Lock()  # the write connection (and, in memory, every read)
        self._queue_lock = threading.Lock()
        self._queue: list[_Write[Any]] = []
        self._target = os.fspath(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._memory = self._target == ":memory:"  # one database per connection: share it
        if not self._memory:
            Path(self._target).parent.mkdir(parents=True, exist_ok=True)
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self._conn = self._connect()
        try:
            with self._lock:
                self._use_wal()
                self._conn.execute("PRAGMA synchronous = FULL")
                self.schema_version = migrate(
                    MIGRATIONS, self._target, version_now=self._user_version,
                    locked=self._schema_transaction, version_in=self._version_in,
                    record=lambda conn, m: conn.execute(f"PRAGMA user_version = {m.version:d}"))
        except BaseException:
            self._conn.close()
            raise
        self.purge_expired()

    def _use_wal(self) -> None:
        """Switch the file to WAL (it stays so). SQLite answers "database is locked" at
        once, without the busy timeout, when another connection switches the same new
        file at that moment (hosts opening a new file together): try again, within the
        busy timeout."""
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(0.01)  # the other connection's switch takes microseconds

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._target, timeout=self._busy_timeout_ms / 1000,
                               isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        return conn

    def close(self) -> None:
        with self._lock, self._queue_lock:
            self._closed = True
            self._conn.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()

    # ---- the schema's version

    def _user_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _schema_transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the file's write lock (other processes wait for it)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _version_in(self, conn: Any) -> int:
        """`user_version`, taking a file of the first release (an `items` table and no
        version yet) as version 1 without creating anything again."""
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == 0 and conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'items'"
        ).fetchone():
            conn.execute("PRAGMA user_version = 1")
            version = 1
        return version

    # ---- the engine's hooks

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection of the pool (autocommit: each statement reads the latest
        committed state, so a write that returned is visible to every later read)."""
        if self._memory:
            with self._lock:
                yield self._conn
            return
        with self._queue_lock:
            conn = self._readers.pop() if self._readers else None
        conn = conn or self._connect()
        try:
            yield conn
        finally:
            with self._queue_lock:
                if not self._closed and len(self._readers) < READERS:
                    self._readers.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def _run(self, work: Callable[[Any], T]) -> T:
        """Queue `work` and return once a group commit holding it is durable."""
        mine: _Write[T] = _Write(work)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if not mine.done:  # else the previous holder already committed it
                with self._queue_lock:
                    group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                if mine not in group:  # queued behind a full group: keep our own turn
                    group.append(mine)
                    self._queue.remove(mine)
                self._commit(group)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]  # set by the group's commit

    def _commit(self, group: list[_Write[Any]]) -> None:
        """Run each write of `group` in its savepoint, then commit them all at once."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write in group:
                conn.execute("SAVEPOINT one")
                try:
                    write.result = write.work(conn)
                except Exception as exc:  # this write fails alone; the group goes on
                    conn.execute("ROLLBACK TO one")
                    write.error = exc
                conn.execute("RELEASE one")
            conn.execute("COMMIT")
        except BaseException as exc:  # begin or commit failed: nothing of the group holds
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for write in group:  # each waiting thread raises an error object of its own
                write.error = write.error or sqlite3.OperationalError(
                    f"the write was not committed: {exc!r}")
                write.result = None
            if not isinstance(exc, Exception):
                raise
        finally:
            for write in group:
                write.done = True
