"""The PostgreSQL table after the server restarts under it (a failover, a maintenance
restart; R-COMP-2: the hub stays up): every connection the pool held is dead, and the next
calls must get fresh ones instead of failing on the dead ones."""

from __future__ import annotations

from infra.local.postgres import running


def test_the_table_works_again_right_after_the_server_restarts() -> None:
    from chalicelib.adapters.table_postgres import PostgresTable

    with running() as server:
        table = PostgresTable(server.dsn, min_size=4, max_size=4)
        try:
            table.put({"pk": "UNIT#1", "sk": "UNIT", "name": "Sở Tài chính"})
            server.restart()
            for _ in range(8):  # more calls than the pool held connections
                assert table.get("UNIT#1", "UNIT") == {"pk": "UNIT#1", "sk": "UNIT",
                                                       "name": "Sở Tài chính"}
            server.restart()  # and a write first this time: each begins on a dead one
            for n in range(8):
                table.put({"pk": f"UNIT#{n + 2}", "sk": "UNIT"})
            assert len(table.query("UNIT#2").items) == 1
            assert table.purge_expired(limit=10) == 0
        finally:
            table.close()
