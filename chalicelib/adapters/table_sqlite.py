"""The `Table` port on one embedded SQLite file (the single-machine host).

Items are JSON in `items(pk, sk, data, ttl)`. The file is in WAL mode, so readers never wait
for the writer: reads use a small pool of connections of their own.

Writes go through one connection and commit as a group: a write queues its work, and
whichever writer holds the write lock runs every queued write in one `BEGIN IMMEDIATE`
transaction, each inside its own savepoint (a failed condition undoes only that write),
then commits once. Each write still returns only after the commit that made it durable
(`synchronous = FULL`), and sees every write that returned before it was queued (and
those of its group before it), so the semantics are those of one write per transaction;
concurrent writers share the fsync instead of queueing for one each. The read-check-write
of each write is atomic even when another process writes the same file (it waits up to
the busy timeout for the lock).
Items whose `ttl` lies in the past count as absent everywhere and are purged lazily.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from chalicelib.adapters.table_checks import check_ops, check_query, target
from chalicelib.adapters.table_items import (
    CONDITION_FAILED,
    check_op_values,
    check_values,
    decode_cursor,
    dumps,
    encode_cursor,
    holds,
    prefix_end,
    ttl_of,
    updated,
)
from chalicelib.domain.errors import (
    ConditionFailedError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Page, Put, TransactOp, Update

__all__ = ["SqliteTable"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS items (pk TEXT NOT NULL, sk TEXT NOT NULL, data TEXT NOT NULL,"
    " ttl INTEGER, PRIMARY KEY (pk, sk)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL",
)
_VISIBLE = "(ttl IS NULL OR ttl >= ?)"
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


class SqliteTable:
    """`Table` on one SQLite file, safe across threads and across processes."""

    def __init__(self, path: str | os.PathLike[str],
                 clock: Callable[[], float] | None = None, *,
                 busy_timeout_ms: int = 30_000) -> None:
        self._clock = clock or time.time
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
        with self._lock:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            for statement in _SCHEMA:
                self._conn.execute(statement)
        self.purge_expired()

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

    def get(self, pk: str, sk: str) -> Item | None:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT data FROM items WHERE pk = ? AND sk = ? AND {_VISIBLE}",
                (pk, sk, self._clock())).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, item: Item, condition: Condition | None = None) -> None:
        op = Put(item, condition)
        check_op_values(op)

        def work(conn: sqlite3.Connection) -> None:
            if not holds(self._load(conn, item["pk"], item["sk"]), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            self._store(conn, item)

        self._run(work)

    def update(self, op: Update) -> Item:
        check_op_values(op)

        def work(conn: sqlite3.Connection) -> Item:
            current = self._load(conn, op.pk, op.sk)
            if not holds(current, op.condition):
                raise ConditionFailedError("The write's condition did not hold.")
            item = updated(current, op)
            self._store(conn, item)
            return item

        return self._run(work)

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        check_op_values(Delete(pk, sk, condition))

        def work(conn: sqlite3.Connection) -> None:
            if not holds(self._load(conn, pk, sk), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            conn.execute("DELETE FROM items WHERE pk = ? AND sk = ?", (pk, sk))

        self._run(work)

    def query(
        self,
        pk: str,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page:
        """One page in `sk` order (SQLite's BINARY order is DynamoDB's UTF-8 byte order)."""
        check_query(limit, prefix, start, end)
        sql = f"SELECT sk, data FROM items WHERE pk = ? AND {_VISIBLE}"
        args: list[Any] = [pk, self._clock()]
        if prefix:
            start, end = prefix, None
            upper = prefix_end(prefix)
            if upper is not None:
                sql += " AND sk < ?"
                args.append(upper)
        for op, bound in ((">=", start), ("<=", end)):
            if bound is not None:
                sql += f" AND sk {op} ?"
                args.append(bound)
        if cursor is not None:
            sql += " AND sk < ?" if descending else " AND sk > ?"
            args.append(decode_cursor(cursor))
        sql += f" ORDER BY sk {'DESC' if descending else 'ASC'} LIMIT ?"
        args.append(limit + 1)
        with self._reading() as conn:
            rows = conn.execute(sql, args).fetchall()
        items = [json.loads(data) for _, data in rows[:limit]]
        return Page(items, encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None)

    def transact(self, ops: Sequence[TransactOp]) -> None:
        """Check every condition first, then write all; a failed check writes nothing."""
        check_ops(ops)
        for op in ops:
            check_values(op)
        targets = [target(op) for op in ops]
        if not ops:
            return

        def work(conn: sqlite3.Connection) -> None:
            currents = [self._load(conn, pk, sk) for pk, sk in targets]
            reasons = ["" if holds(cur, op.condition) else CONDITION_FAILED
                       for op, cur in zip(ops, currents, strict=True)]
            if any(reasons):
                raise TransactionConflictError("The transaction was cancelled.", reasons)
            for op, cur in zip(ops, currents, strict=True):
                if isinstance(op, Put):
                    self._store(conn, op.item)
                elif isinstance(op, Update):
                    self._store(conn, updated(cur, op))
                elif isinstance(op, Delete):
                    conn.execute("DELETE FROM items WHERE pk = ? AND sk = ?", (op.pk, op.sk))

        self._run(work)

    def purge_expired(self) -> int:
        """Delete the items whose `ttl` has passed; returns how many went."""
        return self._run(lambda conn: conn.execute(
            "DELETE FROM items WHERE ttl < ?", (self._clock(),)).rowcount)

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
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

    def _load(self, conn: sqlite3.Connection, pk: str, sk: str) -> Item | None:
        row = conn.execute(
            f"SELECT data FROM items WHERE pk = ? AND sk = ? AND {_VISIBLE}",
            (pk, sk, self._clock())).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _store(conn: sqlite3.Connection, item: Item) -> None:
        conn.execute("INSERT OR REPLACE INTO items (pk, sk, data, ttl) VALUES (?, ?, ?, ?)",
                     (item["pk"], item["sk"], dumps(item), ttl_of(item)))
