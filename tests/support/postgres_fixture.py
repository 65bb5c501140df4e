"""A real PostgreSQL server for the test session (Debian's `postgresql`, which `make
postgres` installs), started in a folder of its own by `infra.local.postgres`, and a fresh
database for each test that needs an empty one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """The session's server: the DSN of its `postgres` database."""
    from infra.local.postgres import running
    with running() as server:
        yield server.dsn


def fresh_database(server_dsn: str, stem: str = "hub") -> str:
    """A new, empty database on the server of `server_dsn`; its DSN."""
    import psycopg

    name = f"{stem}_{next(_numbers)}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_dsn.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def postgres_database(postgres_dsn: str) -> str:
    """An empty database of its own for one test."""
    return fresh_database(postgres_dsn)
