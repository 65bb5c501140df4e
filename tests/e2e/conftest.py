"""A real single-machine hub (`python -m infra.local.host`) with SeaweedFS and SQLite,
started in a temporary `var/` on free loopback ports, reached over real HTTP; the same
host on a real PostgreSQL server (`postgres_hub`); three hubs wired to each other as peers
(`three_hubs`, tests/e2e/hubs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.ports import Table
from infra.local.launcher import ROOT, LocalHub, free_port, host_in
from tests.e2e.hubs import three_hubs  # the three-hub fixture of the federation tests

__all__ = ["ROOT", "LocalHub", "free_port", "host_in", "open_table", "started_hub",
           "three_hubs"]


@contextmanager
def started_hub(var: Path, **settings: str) -> Iterator[LocalHub]:
    """A host keeping its data under `var` (with extra `LGSP_*` settings), started, and
    stopped on exit."""
    hub = host_in(var, **settings)
    hub.start()
    try:
        yield hub
    finally:
        if hub.proc is not None:
            hub.stop()


@pytest.fixture(scope="session")
def sqlite_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    with started_hub(tmp_path_factory.mktemp("hub") / "var") as hub:
        yield hub


@pytest.fixture(scope="session")
def local_hub(sqlite_hub: LocalHub) -> LocalHub:
    """The host as `make run` starts it: its table on SQLite."""
    return sqlite_hub


@pytest.fixture(scope="session")
def postgres_hub(tmp_path_factory: pytest.TempPathFactory, postgres_dsn: str
                 ) -> Iterator[LocalHub]:
    """The host with its table on the session's PostgreSQL server, in a database of its
    own (`LGSP_TABLE_BACKEND=postgres`), the store still its embedded SeaweedFS."""
    from tests.support.postgres_fixture import fresh_database

    with started_hub(tmp_path_factory.mktemp("pghub") / "var",
                     LGSP_TABLE_BACKEND="postgres",
                     LGSP_POSTGRES_DSN=fresh_database(postgres_dsn, "e2e")) as hub:
        yield hub


@contextmanager
def open_table(hub: LocalHub) -> Iterator[Table]:
    """The table a host writes, opened by this process too (SQLite file or PostgreSQL)."""
    table: Any
    if hub.env.get("LGSP_TABLE_BACKEND") == "postgres":
        from chalicelib.adapters.table_postgres import PostgresTable
        table = PostgresTable(hub.env["LGSP_POSTGRES_DSN"])
    else:
        from chalicelib.adapters.table_sqlite import SqliteTable
        table = SqliteTable(str(hub.var / "table.sqlite3"))
    try:
        yield table
    finally:
        table.close()
