"""The `Table` port over a SQL engine that keeps each item as JSON text in
`items(pk, sk, data, ttl)`: the read-check-write logic SQLite and PostgreSQL share.

`JsonItemsTable` holds every operation of the port: a write reads the items it conditions
on, checks the conditions (`table_items.holds`), then writes, all inside one `_run` of the
engine, which makes that read-check-write atomic its own way (SQLite: one writer, commits
grouped; PostgreSQL: SERIALIZABLE, run again when the server aborts it). An engine
subclass says only how it reads (`_reading`), how it isolates and retries a write
(`_run`), its parameter marker and its upsert statement. Items whose `ttl` lies in the
past count as absent everywhere and are deleted by `purge_expired`.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol, TypeVar

from chalicelib.adapters.table_checks import check_get_many, check_ops, check_query, target
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
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Delete, Item, Page, Put, TransactOp, Update

__all__ = ["Connection", "JsonItemsTable"]

T = TypeVar("T")


class Rows(Protocol):
    """What a DB-API cursor gives back (sqlite3's and psycopg's alike)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A connection that runs one statement with positional parameters."""

    def execute(self, sql: Any, params: Any = ..., /) -> Rows: ...


class JsonItemsTable(ABC):
    """`Table` on an engine's `items` relation; subclasses give the engine's hooks."""

    MARK: ClassVar[str]  # the driver's positional parameter marker: "?" or "%s"
    UPSERT: ClassVar[str]  # stores (pk, sk, data, ttl), replacing the item of those keys

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time

    # ---- the engine's hooks

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Connection]:
        """A connection on which each statement reads the latest committed state."""

    @abstractmethod
    def _run(self, work: Callable[[Connection], T]) -> T:
        """`work` in one write transaction, isolated from every concurrent writer (of
        this process, of other processes, of other hosts); its result once committed."""

    def _read(self, work: Callable[[Connection], T]) -> T:
        """`work` on a `_reading` connection (an engine may run it again on another
        connection when the first turns out dead before anything was read)."""
        with self._reading() as conn:
            return work(conn)

    def _write_plain(self, work: Callable[[Connection], T]) -> T:
        """A write that conditions on nothing (the purge): `_run` unless the engine has
        a cheaper way."""
        return self._run(work)

    # ---- statements in the engine's marker

    def _sql(self, text: str) -> str:
        return text.replace("?", self.MARK)

    def _load(self, conn: Connection, pk: str, sk: str) -> Item | None:
        row = conn.execute(self._sql(
            "SELECT data FROM items WHERE pk = ? AND sk = ? AND (ttl IS NULL OR ttl >= ?)"),
            (pk, sk, self._clock())).fetchone()
        return json.loads(row[0]) if row else None

    def _store(self, conn: Connection, item: Item) -> None:
        conn.execute(self.UPSERT, (item["pk"], item["sk"], dumps(item), ttl_of(item)))

    def _remove(self, conn: Connection, pk: str, sk: str) -> None:
        conn.execute(self._sql("DELETE FROM items WHERE pk = ? AND sk = ?"), (pk, sk))

    # ---- the port

    def get(self, pk: str, sk: str) -> Item | None:
        return self._read(lambda conn: self._load(conn, pk, sk))

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        check_get_many(keys)
        return self._read(lambda conn: [self._load(conn, pk, sk) for pk, sk in keys])

    def put(self, item: Item, condition: Condition | None = None) -> None:
        check_op_values(Put(item, condition))

        def work(conn: Connection) -> None:
            if not holds(self._load(conn, item["pk"], item["sk"]), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            self._store(conn, item)

        self._run(work)

    def update(self, op: Update) -> Item:
        check_op_values(op)

        def work(conn: Connection) -> Item:
            current = self._load(conn, op.pk, op.sk)
            if not holds(current, op.condition):
                raise ConditionFailedError("The write's condition did not hold.")
            item = updated(current, op)
            self._store(conn, item)
            return item

        return self._run(work)

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        check_op_values(Delete(pk, sk, condition))

        def work(conn: Connection) -> None:
            if not holds(self._load(conn, pk, sk), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            self._remove(conn, pk, sk)

        self._run(work)

    def query(self, pk: str, *, prefix: str | None = None, start: str | None = None,
              end: str | None = None, limit: int = 100, cursor: str | None = None,
              descending: bool = False) -> Page:
        """One page in `sk` order: the engines compare keys byte-wise (SQLite's BINARY,
        PostgreSQL's "C" collation), which is DynamoDB's UTF-8 byte order."""
        check_query(limit, prefix, start, end)
        sql = "SELECT sk, data FROM items WHERE pk = ? AND (ttl IS NULL OR ttl >= ?)"
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
        rows = self._read(lambda conn: conn.execute(self._sql(sql), args).fetchall())
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

        def work(conn: Connection) -> None:
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
                    self._remove(conn, op.pk, op.sk)

        self._run(work)

    def purge_expired(self, limit: int | None = None) -> int:
        """Delete the items whose `ttl` has passed (at most `limit` of them, in one short
        transaction, so a host that purges in batches never holds the table long);
        returns how many went. What DynamoDB's TTL does on AWS."""
        if limit is None:
            return self._write_plain(lambda conn: int(conn.execute(
                self._sql("DELETE FROM items WHERE ttl < ?"), (self._clock(),)).rowcount))
        # The outer `ttl < ?` is checked again on the row as it is when deleted: an item
        # written anew (a later ttl) since the inner select chose it is kept.
        now = self._clock()
        return self._write_plain(lambda conn: int(conn.execute(self._sql(
            "DELETE FROM items WHERE ttl < ? AND (pk, sk) IN "
            "(SELECT pk, sk FROM items WHERE ttl < ? LIMIT ?)"),
            (now, now, limit)).rowcount))
