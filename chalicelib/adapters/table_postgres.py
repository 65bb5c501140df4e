"""The `Table` port on PostgreSQL (on-prem, several hosts on one database; docs/deploy.md).

Items are JSON text in `items(pk, sk, data, ttl)`, keys in the "C" collation so that `sk`
order is DynamoDB's byte order. Each write is one transaction at SERIALIZABLE isolation:
it reads the items it conditions on, checks the conditions, writes; a transaction that
would not be serializable with a concurrent one is aborted by the server and run again
(at most `RETRIES` times, then `ContentionError`), so a read-check-write is atomic on
any number of hosts. Items whose `ttl` lies in the past count as absent everywhere and
are purged by `purge_expired`. The schema is created on start, under an advisory lock,
so several hosts starting at once agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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
    ContentionError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Page, Put, TransactOp, Update

__all__ = ["PostgresTable"]

T = TypeVar("T")
RETRIES = 20
SCHEMA_LOCK = 0x4C475350  # "LGSP": one host creates the schema at a time
_SCHEMA = (
    'CREATE TABLE IF NOT EXISTS items (pk TEXT COLLATE "C" NOT NULL, '
    'sk TEXT COLLATE "C" NOT NULL, data TEXT NOT NULL, ttl BIGINT, PRIMARY KEY (pk, sk))',
    "CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL",
)
_VISIBLE = "(ttl IS NULL OR ttl >= %s)"


class PostgresTable:
    """`Table` on PostgreSQL through a pool of connections (psycopg 3)."""

    def __init__(self, dsn: str, clock: Callable[[], float] | None = None, *,
                 min_size: int = 1, max_size: int = 10) -> None:
        from psycopg_pool import ConnectionPool
        self._clock = clock or time.time
        self._pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=True,
                                    kwargs={"autocommit": True})
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in _SCHEMA:
                conn.execute(statement)

    def close(self) -> None:
        self._pool.close()

    def get(self, pk: str, sk: str) -> Item | None:
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT data FROM items WHERE pk = %s AND sk = %s AND "
                               f"{_VISIBLE}", (pk, sk, self._clock())).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, item: Item, condition: Condition | None = None) -> None:
        check_op_values(Put(item, condition))

        def work(conn: Any) -> None:
            if not holds(self._load(conn, item["pk"], item["sk"]), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            self._store(conn, item)

        self._run(work)

    def update(self, op: Update) -> Item:
        check_op_values(op)

        def work(conn: Any) -> Item:
            current = self._load(conn, op.pk, op.sk)
            if not holds(current, op.condition):
                raise ConditionFailedError("The write's condition did not hold.")
            item = updated(current, op)
            self._store(conn, item)
            return item

        return self._run(work)

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        check_op_values(Delete(pk, sk, condition))

        def work(conn: Any) -> None:
            if not holds(self._load(conn, pk, sk), condition):
                raise ConditionFailedError("The write's condition did not hold.")
            conn.execute("DELETE FROM items WHERE pk = %s AND sk = %s", (pk, sk))

        self._run(work)

    def query(self, pk: str, *, prefix: str | None = None, start: str | None = None,
              end: str | None = None, limit: int = 100, cursor: str | None = None,
              descending: bool = False) -> Page:
        check_query(limit, prefix, start, end)
        sql = f"SELECT sk, data FROM items WHERE pk = %s AND {_VISIBLE}"
        args: list[Any] = [pk, self._clock()]
        if prefix:
            start, end = prefix, None
            upper = prefix_end(prefix)
            if upper is not None:
                sql += " AND sk < %s"
                args.append(upper)
        for op, bound in ((">=", start), ("<=", end)):
            if bound is not None:
                sql += f" AND sk {op} %s"
                args.append(bound)
        if cursor is not None:
            sql += " AND sk < %s" if descending else " AND sk > %s"
            args.append(decode_cursor(cursor))
        sql += f" ORDER BY sk {'DESC' if descending else 'ASC'} LIMIT %s"
        args.append(limit + 1)
        with self._pool.connection() as conn:
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

        def work(conn: Any) -> None:
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
                    conn.execute("DELETE FROM items WHERE pk = %s AND sk = %s",
                                 (op.pk, op.sk))

        self._run(work)

    def purge_expired(self) -> int:
        """Delete the items whose `ttl` has passed; returns how many went."""
        with self._pool.connection() as conn:
            return int(conn.execute("DELETE FROM items WHERE ttl < %s",
                                    (self._clock(),)).rowcount)

    def _run(self, work: Callable[[Any], T]) -> T:
        """`work` in one SERIALIZABLE transaction, run again when the server aborts it
        for a concurrent one."""
        from psycopg import errors
        for attempt in range(RETRIES):
            try:
                with self._pool.connection() as conn:
                    conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
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

    def _load(self, conn: Any, pk: str, sk: str) -> Item | None:
        row = conn.execute(f"SELECT data FROM items WHERE pk = %s AND sk = %s AND {_VISIBLE}",
                           (pk, sk, self._clock())).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _store(conn: Any, item: Item) -> None:
        conn.execute("INSERT INTO items (pk, sk, data, ttl) VALUES (%s, %s, %s, %s) "
                     "ON CONFLICT (pk, sk) DO UPDATE SET data = EXCLUDED.data, "
                     "ttl = EXCLUDED.ttl", (item["pk"], item["sk"], dumps(item),
                                            ttl_of(item)))
