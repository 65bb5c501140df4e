"""Group commit of the embedded table (R-PROP-5): concurrent writes share one commit, yet
each behaves as if it had its own transaction: conditions see every earlier write, a write
that fails undoes only itself, and nothing is lost."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chalicelib.adapters.table_sqlite import SqliteTable, _Write
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Put, Update

THREADS = 24


@pytest.fixture
def table(tmp_path: Path) -> Iterator[SqliteTable]:
    t = SqliteTable(tmp_path / "t.sqlite3")
    yield t
    t.close()


def _together(n: int, work: Callable[[int], object]) -> list[object]:
    """Run work(0..n-1) on n threads released at once; results or raised errors."""
    out: list[object] = [None] * n
    gate = threading.Barrier(n)

    def one(i: int) -> None:
        gate.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # collected and asserted on
            out[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_one_of_many_concurrent_creates_wins(table: SqliteTable) -> None:
    results = _together(THREADS, lambda i: table.put(
        {"pk": "P", "sk": "ONLY", "by": i}, Condition(exists=False)))
    failures = [r for r in results if isinstance(r, ConditionFailedError)]
    assert len(failures) == THREADS - 1 and results.count(None) == 1
    winner = results.index(None)
    assert table.get("P", "ONLY") == {"pk": "P", "sk": "ONLY", "by": winner}


def test_concurrent_increments_lose_nothing(table: SqliteTable) -> None:
    table.put({"pk": "P", "sk": "COUNT", "n": 0})
    _together(THREADS, lambda i: table.update(Update("P", "COUNT", add={"n": 1})))
    item = table.get("P", "COUNT")
    assert item is not None and item["n"] == THREADS


def test_failed_transactions_leave_the_others_of_their_group_whole(
        table: SqliteTable) -> None:
    def work(i: int) -> object:
        # odd threads need an item that does not exist: they must write nothing at all
        cond = Condition(exists=True) if i % 2 else None
        table.transact([Put({"pk": f"T{i}", "sk": "A"}),
                        Put({"pk": f"T{i}", "sk": "B"}, cond)])
        return "ok"

    results = _together(THREADS, work)
    for i, r in enumerate(results):
        if i % 2:
            assert isinstance(r, TransactionConflictError)
            assert table.get(f"T{i}", "A") is None and table.get(f"T{i}", "B") is None
        else:
            assert r == "ok" and table.get(f"T{i}", "A") and table.get(f"T{i}", "B")


def test_in_one_group_a_failed_write_is_undone_alone_and_later_ones_see_earlier(
        table: SqliteTable) -> None:
    def put(sk: str) -> Callable[[sqlite3.Connection], None]:
        return lambda conn: table._store(conn, {"pk": "G", "sk": sk})

    def failing(conn: sqlite3.Connection) -> None:
        table._store(conn, {"pk": "G", "sk": "half"})
        raise ConditionFailedError("no")

    def sees_first(conn: sqlite3.Connection) -> bool:
        return table._load(conn, "G", "first") is not None

    group = [_Write(put("first")), _Write(failing), _Write(sees_first), _Write(put("last"))]
    with table._lock:
        table._commit(group)
    assert [w.done for w in group] == [True] * 4
    assert isinstance(group[1].error, ConditionFailedError) and group[2].result is True
    assert [table.get("G", sk) is not None for sk in ("first", "half", "last")] == [
        True, False, True]


def test_a_group_that_cannot_commit_reports_every_write_failed(table: SqliteTable) -> None:
    group = [_Write(lambda conn, i=i: table._store(conn, {"pk": "X", "sk": str(i)}))
             for i in range(3)]
    other = sqlite3.connect(table._target, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    table._conn.execute("PRAGMA busy_timeout = 0")
    try:
        with table._lock:
            table._commit(group)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert all(isinstance(w.error, sqlite3.OperationalError) for w in group)
    assert table.get("X", "0") is None
    table.put({"pk": "X", "sk": "after"})  # the table still works
    assert table.get("X", "after") is not None


def test_reads_see_every_write_that_returned(table: SqliteTable) -> None:
    def write_then_read(i: int) -> object:
        table.put({"pk": "R", "sk": str(i), "v": i})
        return table.get("R", str(i))

    results = _together(THREADS, write_then_read)
    assert results == [{"pk": "R", "sk": str(i), "v": i} for i in range(THREADS)]
    assert len(table.query("R", limit=100).items) == THREADS
