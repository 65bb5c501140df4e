"""One contract for the `Table` port, run against SQLite, DynamoDB (moto) and a real
PostgreSQL server.

Both adapters must behave alike for the use cases; the SQLite-only tests at the end cover
what the single-machine host adds: persistence, TTL, threads and processes on one file.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.errors import (
    ConditionFailedError,
    InvalidRequestError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Check, Condition, Delete, Put, Table, TransactOp, Update

PK = "MSG#1"
FAILED = "ConditionalCheckFailed"
NESTED = {"pk": PK, "sk": "META", "name": "Sở Tài chính", "flag": True, "off": False,
          "none": None, "n": 0, "neg": -7, "big": 12345678901234567890123, "empty": "",
          "to": ["000.00.01.H99", "Ủy ban nhân dân"], "meta": {"a": [1, {"b": None}], "c": {}},
          "list": []}


@pytest.fixture(params=["sqlite", "dynamodb", "postgres"])
def table(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    if request.param == "postgres":
        from chalicelib.adapters.table_postgres import PostgresTable
        dsn = request.getfixturevalue("postgres_dsn")
        postgres = PostgresTable(dsn)
        with postgres._pool.connection() as conn:  # each test on an empty table
            conn.execute("TRUNCATE items")
        yield postgres
        postgres.close()
        return
    if request.param == "sqlite":
        sqlite = SqliteTable(tmp_path / "table.sqlite3")
        yield sqlite
        sqlite.close()
        return
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "contract")
        create_table(client, "contract")  # idempotent
        yield DynamoTable(client, "contract")


def _put_all(table: Table, pk: str, sks: list[str]) -> None:
    for sk in sks:
        table.put({"pk": pk, "sk": sk, "v": sk})


def _sks(table: Table, pk: str, **kwargs: Any) -> list[str]:
    page = table.query(pk, **kwargs)
    assert page.cursor is None
    return [item["sk"] for item in page.items]


class TestTableContract:
    def test_round_trip_keeps_values_and_types(self, table: Table) -> None:
        assert table.get(PK, "META") is None
        table.put(NESTED)
        got = table.get(PK, "META")
        assert got == NESTED
        assert got is not None
        assert got["flag"] is True and got["off"] is False and type(got["big"]) is int
        assert type(got["meta"]["a"][0]) is int

    def test_get_many_reads_several_in_the_order_asked(self, table: Table) -> None:
        table.put(NESTED)
        table.put({"pk": "OTHER", "sk": "B", "v": 2})
        asked = [("OTHER", "B"), (PK, "missing"), (PK, "META"), ("OTHER", "B")]
        assert table.get_many(asked) == [{"pk": "OTHER", "sk": "B", "v": 2}, None, NESTED,
                                         {"pk": "OTHER", "sk": "B", "v": 2}]
        assert table.get_many([]) == []
        table.update(Update("OTHER", "B", set={"v": 3}))  # the latest committed, at once
        assert table.get_many([("OTHER", "B")]) == [{"pk": "OTHER", "sk": "B", "v": 3}]
        many = [(f"P{n}", "S") for n in range(100)]
        for pk, sk in many[::7]:
            table.put({"pk": pk, "sk": sk})
        got = table.get_many(many)
        assert [i is not None for i in got] == [n % 7 == 0 for n in range(100)]
        with pytest.raises(ValueError):
            table.get_many([*many, ("P100", "S")])

    def test_put_if_absent_twice_fails(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "A", "v": 1, "old": 1}, Condition(exists=False))
        with pytest.raises(ConditionFailedError):
            table.put({"pk": PK, "sk": "A", "v": 2}, Condition(exists=False))
        assert table.get(PK, "A") == {"pk": PK, "sk": "A", "v": 1, "old": 1}
        table.put({"pk": PK, "sk": "A", "v": 3})  # a plain put replaces the whole item
        assert table.get(PK, "A") == {"pk": PK, "sk": "A", "v": 3}
        with pytest.raises(TypeError):  # no floats in items
            table.put({"pk": PK, "sk": "F", "v": 1.5})
        assert table.get(PK, "F") is None

    def test_update_with_equals(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "A", "state": "requested", "upload_id": ""})
        with pytest.raises(ConditionFailedError):
            table.update(Update(PK, "A", set={"state": "x"},
                                condition=Condition(equals={"state": "verified"})))
        with pytest.raises(ConditionFailedError):  # the attribute must exist
            table.update(Update(PK, "A", set={"state": "x"},
                                condition=Condition(equals={"missing": None})))
        assert table.get(PK, "A") == {"pk": PK, "sk": "A", "state": "requested", "upload_id": ""}
        got = table.update(Update(PK, "A", set={"upload_id": "u1"}, condition=Condition(
            exists=True, equals={"state": "requested", "upload_id": ""})))
        assert got == {"pk": PK, "sk": "A", "state": "requested", "upload_id": "u1"}

    def test_update_with_one_of(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "A", "state": "fetched"})
        open_states = Condition(one_of={"state": ["available", "fetched"]})
        assert table.update(Update(PK, "A", set={"state": "confirmed"}, condition=open_states))[
            "state"] == "confirmed"
        with pytest.raises(ConditionFailedError):
            table.update(Update(PK, "A", set={"state": "rejected"}, condition=open_states))
        assert table.get(PK, "A") == {"pk": PK, "sk": "A", "state": "confirmed"}

    def test_update_upserts_unless_told_the_item_exists(self, table: Table) -> None:
        with pytest.raises(ConditionFailedError):
            table.update(Update(PK, "NEW", set={"v": 1}, condition=Condition(exists=True)))
        assert table.get(PK, "NEW") is None
        got = table.update(Update(PK, "NEW", set={"name": "Sở Tài chính"}, add={"n": 2}))
        assert got == {"pk": PK, "sk": "NEW", "name": "Sở Tài chính", "n": 2}
        assert table.get(PK, "NEW") == got

    def test_add_counts_from_zero_and_remove_drops(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "C", "label": "x"})
        first = table.update(Update(PK, "C", add={"sent": 1, "bytes": 10}))
        assert first == {"pk": PK, "sk": "C", "label": "x", "sent": 1, "bytes": 10}
        second = table.update(Update(PK, "C", add={"sent": 1, "bytes": 5}, set={"label": "y"}))
        assert (second["sent"], second["bytes"], second["label"]) == (2, 15, "y")
        assert table.update(Update(PK, "C", add={"sent": -2}))["sent"] == 0
        assert table.get(PK, "C") == {"pk": PK, "sk": "C", "label": "y", "sent": 0, "bytes": 15}
        got = table.update(Update(PK, "C", remove=["label", "absent"], set={"c": [1]}))
        assert got == {"pk": PK, "sk": "C", "sent": 0, "bytes": 15, "c": [1]}
        assert table.get(PK, "C") == got

    def test_update_refuses_key_or_overlapping_attributes(self, table: Table) -> None:
        for op in (Update(PK, "A", set={"pk": "x"}), Update(PK, "A", set={"a": 1}, remove=["a"]),
                   Update(PK, "A")):
            with pytest.raises(ValueError):
                table.update(op)
        assert table.get(PK, "A") is None

    def test_delete_with_condition(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "A", "state": "open"})
        with pytest.raises(ConditionFailedError):
            table.delete(PK, "A", Condition(equals={"state": "closed"}))
        assert table.get(PK, "A") is not None
        table.delete(PK, "A", Condition(exists=True, one_of={"state": ["open"]}))
        assert table.get(PK, "A") is None
        table.delete(PK, "A")  # deleting a missing item is fine
        with pytest.raises(ConditionFailedError):
            table.delete(PK, "A", Condition(exists=True))

    def test_query_prefix_and_partition(self, table: Table) -> None:
        _put_all(table, PK, ["TRACE#2", "DLV#b", "TRACE#1", "META", "TRACE"])
        _put_all(table, PK + "0", ["TRACE#0"])
        _put_all(table, "MSG#", ["TRACE#9"])
        assert _sks(table, PK, prefix="TRACE#") == ["TRACE#1", "TRACE#2"]
        assert _sks(table, PK) == ["DLV#b", "META", "TRACE", "TRACE#1", "TRACE#2"]
        assert _sks(table, "MSG#2") == []
        assert table.query(PK, prefix="DLV#").items == [{"pk": PK, "sk": "DLV#b", "v": "DLV#b"}]

    def test_query_orders_like_utf8_bytes(self, table: Table) -> None:
        sks = ["Sở", "So", "Z", "a", "Ủy", "~", "ở"]
        _put_all(table, PK, sks)
        assert _sks(table, PK) == sorted(sks, key=lambda s: s.encode())
        assert _sks(table, PK, prefix="S") == ["So", "Sở"]

    def test_query_range(self, table: Table) -> None:
        _put_all(table, PK, [f"T#{i}" for i in range(1, 7)])
        assert _sks(table, PK, start="T#2", end="T#4") == ["T#2", "T#3", "T#4"]
        assert _sks(table, PK, start="T#5") == ["T#5", "T#6"]
        assert _sks(table, PK, end="T#2") == ["T#1", "T#2"]
        assert _sks(table, PK, start="T#3", end="T#35", descending=True) == ["T#3"]
        assert _sks(table, PK, start="T#4", end="T#2") == []
        assert _sks(table, PK, descending=True) == [f"T#{i}" for i in range(6, 0, -1)]

    @pytest.mark.parametrize(("descending", "count"), [(False, 7), (True, 7), (False, 8)])
    def test_pagination_sees_every_item_once(self, table: Table, descending: bool,
                                             count: int) -> None:
        sks = [f"OUT#{i:03d}" for i in range(count)]
        _put_all(table, PK, sks)
        _put_all(table, "OTHER", sks)
        seen: list[str] = []
        sizes: list[int] = []
        cursor: str | None = None
        while True:
            page = table.query(PK, prefix="OUT#", limit=2, cursor=cursor, descending=descending)
            assert all(item["pk"] == PK for item in page.items)
            seen += [item["sk"] for item in page.items]
            sizes.append(len(page.items))
            cursor = page.cursor
            if cursor is None:
                break
        assert seen == sorted(sks, reverse=descending)
        assert sizes == [2] * (count // 2) + [1] * (count % 2)  # no empty last page

    def test_bad_cursor_is_invalid_request(self, table: Table) -> None:
        _put_all(table, PK, ["a", "b", "c"])
        with pytest.raises(InvalidRequestError):
            table.query(PK, cursor="not a cursor!")
        other = table.query(PK, limit=1).cursor
        assert other is not None
        _put_all(table, "X", ["a", "b"])
        if isinstance(table, DynamoTable):  # the cursor names its partition there
            with pytest.raises(InvalidRequestError):
                table.query("X", cursor=other)

    def test_transact_failing_check_writes_nothing(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "D", "state": "open", "n": 1})
        table.put({"pk": PK, "sk": "UNIT", "active": False})
        ops: list[TransactOp] = [
            Put({"pk": PK, "sk": "T#1", "v": 1}), Update(PK, "D", set={"state": "x"}, add={"n": 1}),
            Delete(PK, "D2"), Check(PK, "UNIT", Condition(equals={"active": False})),
            Check(PK, "UNIT2", Condition(exists=True))]
        with pytest.raises(TransactionConflictError) as info:
            table.transact(ops)
        assert info.value.reasons == ["", "", "", "", FAILED]
        assert table.get(PK, "T#1") is None
        assert table.get(PK, "D") == {"pk": PK, "sk": "D", "state": "open", "n": 1}

    def test_transact_failing_put_writes_nothing(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "IDEM", "v": 0})
        ops: list[TransactOp] = [
            Put({"pk": PK, "sk": "MSG", "v": 1}, Condition(exists=False)),
            Put({"pk": PK, "sk": "IDEM", "v": 1}, Condition(exists=False)),
            Update(PK, "CNT", add={"n": 1}, condition=Condition(exists=True))]
        with pytest.raises(TransactionConflictError) as info:
            table.transact(ops)
        assert info.value.reasons == ["", FAILED, FAILED]
        assert table.get(PK, "MSG") is None and table.get(PK, "CNT") is None
        assert table.get(PK, "IDEM") == {"pk": PK, "sk": "IDEM", "v": 0}

    def test_transact_mixed_ops_apply_together(self, table: Table) -> None:
        table.put({"pk": PK, "sk": "MSG", "state": "verified", "remaining": 2})
        table.put({"pk": PK, "sk": "INBOX", "v": 1})
        table.put({"pk": PK, "sk": "UNIT", "active": True})
        table.transact([
            Update(PK, "MSG", add={"remaining": -1}, set={"x": "Sở"},
                   condition=Condition(equals={"state": "verified"})),
            Delete(PK, "INBOX", Condition(exists=True)),
            Check(PK, "UNIT", Condition(equals={"active": True})),
            Put({"pk": PK, "sk": "TRACE#1", "what": "confirmed"}, Condition(exists=False)),
            Update(PK, "COUNT", add={"received": 1}),
        ])
        assert table.query(PK).items == [
            {"pk": PK, "sk": "COUNT", "received": 1},
            {"pk": PK, "sk": "MSG", "state": "verified", "remaining": 1, "x": "Sở"},
            {"pk": PK, "sk": "TRACE#1", "what": "confirmed"},
            {"pk": PK, "sk": "UNIT", "active": True}]
        table.transact([])

    def test_transact_limits(self, table: Table) -> None:
        hundred = [Put({"pk": PK, "sk": f"I#{i:03d}"}) for i in range(100)]
        with pytest.raises(ValueError):
            table.transact([*hundred, Put({"pk": PK, "sk": "I#100"})])
        with pytest.raises(ValueError):
            table.transact([Put({"pk": PK, "sk": "A"}), Delete(PK, "A")])
        assert table.query(PK).items == []
        table.transact(hundred)
        assert len(table.query(PK, limit=200).items) == 100


def _add_many(path: str, times: int) -> None:
    table = SqliteTable(path)
    for _ in range(times):
        table.update(Update("C", "C", add={"n": 1}))
    table.close()


def _run_threads(count: int, work: Callable[[], None]) -> None:
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        work()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteTable]:
    table = SqliteTable(tmp_path / "t.sqlite3")
    yield table
    table.close()


class TestSqliteOnly:
    def test_equals_tells_bool_from_int(self, db: SqliteTable) -> None:
        # SQLite-only: moto compares BOOL true equal to N 1 (DynamoDB itself does not).
        db.put({"pk": PK, "sk": "A", "flag": True})
        with pytest.raises(ConditionFailedError):
            db.update(Update(PK, "A", set={"x": 1}, condition=Condition(equals={"flag": 1})))
        db.update(Update(PK, "A", set={"x": 1}, condition=Condition(equals={"flag": True})))
        assert db.get(PK, "A") == {"pk": PK, "sk": "A", "flag": True, "x": 1}

    def test_data_persists_after_reopen(self, tmp_path: Path) -> None:
        path = tmp_path / "sub" / "t.sqlite3"
        first = SqliteTable(path)
        first.put(NESTED)
        first.close()
        again = SqliteTable(str(path))
        assert again.get(PK, "META") == NESTED
        again.close()
        with closing(sqlite3.connect(path)) as raw:
            assert "Sở Tài chính" in raw.execute("SELECT data FROM items").fetchone()[0]

    def test_expired_items_are_absent(self, tmp_path: Path) -> None:
        now = [1_000]
        table = SqliteTable(tmp_path / "t.sqlite3", clock=lambda: now[0])
        table.put({"pk": PK, "sk": "IDEM", "ttl": 1_000, "v": 1})
        table.put({"pk": PK, "sk": "KEEP", "v": 2})
        assert table.get(PK, "IDEM") is not None  # ttl == now: not yet past
        now[0] = 1_001
        assert table.get(PK, "IDEM") is None
        assert [i["sk"] for i in table.query(PK).items] == ["KEEP"]
        with pytest.raises(ConditionFailedError):
            table.update(Update(PK, "IDEM", set={"v": 3}, condition=Condition(exists=True)))
        table.put({"pk": PK, "sk": "IDEM", "ttl": 2_000, "v": 4}, Condition(exists=False))
        assert table.get(PK, "IDEM") == {"pk": PK, "sk": "IDEM", "ttl": 2_000, "v": 4}
        now[0] = 5_000
        assert table.purge_expired() == 1
        now[0] = 0
        assert table.get(PK, "IDEM") is None  # really gone, not only hidden
        table.close()

    def test_thread_adds_are_atomic(self, db: SqliteTable) -> None:
        seen: list[int] = []

        def work() -> None:
            for _ in range(50):
                seen.append(db.update(Update("C", "C", add={"n": 1}))["n"])

        _run_threads(8, work)
        assert db.get("C", "C") == {"pk": "C", "sk": "C", "n": 400}
        assert sorted(seen) == list(range(1, 401))

    def test_only_one_thread_wins_put_if_absent(self, db: SqliteTable) -> None:
        wins: list[int] = []

        def work() -> None:
            try:
                db.put({"pk": "K", "sk": "K", "who": threading.get_ident()},
                       Condition(exists=False))
                wins.append(threading.get_ident())
            except ConditionFailedError:
                pass

        _run_threads(8, work)
        assert len(wins) == 1
        assert db.get("K", "K") == {"pk": "K", "sk": "K", "who": wins[0]}

    def test_two_tables_share_one_file(self, db: SqliteTable, tmp_path: Path) -> None:
        a, b = db, SqliteTable(tmp_path / "t.sqlite3")
        a.put({"pk": PK, "sk": "A", "v": 1})
        assert b.get(PK, "A") == {"pk": PK, "sk": "A", "v": 1}
        b.update(Update(PK, "A", add={"v": 1}))
        assert a.get(PK, "A") == {"pk": PK, "sk": "A", "v": 2}
        with pytest.raises(ConditionFailedError):
            b.put({"pk": PK, "sk": "A"}, Condition(exists=False))
        a.delete(PK, "A")
        assert b.get(PK, "A") is None
        b.close()

    def test_two_processes_add_atomically(self, db: SqliteTable, tmp_path: Path) -> None:
        path = str(tmp_path / "t.sqlite3")
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_add_many, args=(path, 100)) for _ in range(2)]
        for p in procs:
            p.start()
        _add_many(path, 100)
        for p in procs:
            p.join(timeout=120)
            assert p.exitcode == 0
        assert db.get("C", "C") == {"pk": "C", "sk": "C", "n": 300}


def test_postgres_writes_of_many_threads_are_atomic(postgres_dsn: str) -> None:
    """Read-check-write is atomic across connections (as across hosts): counts added by
    20 threads at once all land, and of 10 racing creations exactly one wins."""
    from chalicelib.adapters.table_postgres import PostgresTable
    table = PostgresTable(postgres_dsn, max_size=20)
    with table._pool.connection() as conn:
        conn.execute("TRUNCATE items")
    won: list[int] = []

    def add() -> None:
        for _ in range(10):
            table.update(Update(PK, "COUNT", add={"n": 1}))

    def create(n: int) -> None:
        try:
            table.put({"pk": PK, "sk": "ONCE", "by": n}, Condition(exists=False))
            won.append(n)
        except ConditionFailedError:
            pass

    threads = [threading.Thread(target=add) for _ in range(20)]
    threads += [threading.Thread(target=create, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count = table.get(PK, "COUNT")
    assert count is not None and count["n"] == 200
    once = table.get(PK, "ONCE")
    assert len(won) == 1 and once is not None and once["by"] == won[0]
    table.close()
