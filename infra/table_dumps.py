"""The table's copy in a backup, per engine (docs/deploy.md, "Backup and restore").

- SQLite: Python's online backup API (`sqlite3.Connection.backup`), a consistent copy
  while the hub keeps writing; restored the same way, into the table's file.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`, both of the same
  major version as the server (Debian's, `infra/local/postgres.py`). The DSN may hold a
  password: it is handed to them as libpq's `PG*` environment variables, never on a
  command line (which `ps` shows) and never printed.
- DynamoDB: refused; its point-in-time recovery is the backup (the AWS runbook).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.postgres import _bin

SQLITE_FILE, POSTGRES_FILE = "table.sqlite3", "table.pgdump"
# What the manifest counts, by key shape (docs/data-model.md).
COUNTED = {"units": "UNIT#%", "apps": "APP#%", "messages": "MSG#%"}
# libpq's connection parameters and the environment variables that carry them.
LIBPQ_ENV = {"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT",
             "dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD",
             "passfile": "PGPASSFILE", "sslmode": "PGSSLMODE", "sslcert": "PGSSLCERT",
             "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL",
             "options": "PGOPTIONS", "connect_timeout": "PGCONNECT_TIMEOUT",
             "application_name": "PGAPPNAME", "service": "PGSERVICE",
             "target_session_attrs": "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE",
             "channel_binding": "PGCHANNELBINDING"}
DYNAMODB_REFUSAL = (
    "the table is DynamoDB: its backup is point-in-time recovery (on in "
    "infra/aws/resources.yaml) or AWS Backup, not this command; to restore, follow the "
    "AWS runbook in docs/deploy.md (\"Backup and restore\"): restore to a new table, then "
    "point the stack at it")


class DumpError(RuntimeError):
    """The table could not be copied or restored (the message says why, never the DSN)."""


@dataclass(frozen=True)
class TablePlace:
    """Where the hub's table is: its engine and its file or database."""

    backend: str
    sqlite_path: Path | None = None
    dsn: str | None = None  # never printed: `repr` hides it

    def __repr__(self) -> str:
        return f"TablePlace(backend={self.backend!r}, sqlite_path={self.sqlite_path!r})"

    @property
    def file_name(self) -> str:
        if self.backend == "sqlite":
            return SQLITE_FILE
        if self.backend == "postgres":
            return POSTGRES_FILE
        raise DumpError(DYNAMODB_REFUSAL)


def _libpq_env(dsn: str) -> dict[str, str]:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:  # say what is wrong, never the DSN
        raise DumpError("LGSP_POSTGRES_DSN is not a valid PostgreSQL connection string") \
            from exc
    unknown = sorted(set(params) - set(LIBPQ_ENV))
    if unknown:
        raise DumpError(f"LGSP_POSTGRES_DSN has parameters the backup cannot pass on "
                        f"safely: {', '.join(unknown)}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return {**env, **{LIBPQ_ENV[k]: str(v) for k, v in params.items() if v is not None}}


def _run_pg(argv: list[str], dsn: str) -> None:
    done = subprocess.run(argv, env=_libpq_env(dsn), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:  # libpq's messages name host, port, user: never the password
        raise DumpError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _pg_connect(dsn: str) -> Any:
    import psycopg
    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        raise DumpError(f"the PostgreSQL table does not answer: {_without_dsn(exc, dsn)}") \
            from None


def _without_dsn(exc: Exception, dsn: str) -> str:
    return str(exc).replace(dsn, "<LGSP_POSTGRES_DSN>")


def dump(place: TablePlace, folder: Path) -> tuple[Path, dict[str, int]]:
    """Copy the table into `folder`; the file written and the counts of that copy."""
    target = folder / place.file_name
    if place.backend == "sqlite":
        assert place.sqlite_path is not None
        if not place.sqlite_path.exists():
            raise DumpError(f"no table at {place.sqlite_path}")
        with _sqlite(place.sqlite_path) as src, _sqlite(target) as dst:
            src.backup(dst)
        found = counts(place, target)
    else:
        assert place.dsn is not None
        with _pg_connect(place.dsn) as conn:  # counted in the very snapshot pg_dump copies
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            found = _pg_counts(conn)
            _run_pg([_bin("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                     f"--snapshot={snapshot}", f"--file={target}"], place.dsn)
            conn.execute("COMMIT")
    target.chmod(0o600)
    return target, found


def restore(place: TablePlace, source: Path) -> None:
    """Replace the table with the copy `source` (the hub is stopped)."""
    if place.backend == "sqlite":
        assert place.sqlite_path is not None
        place.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        with _sqlite(source) as src, _sqlite(place.sqlite_path) as dst:
            src.backup(dst)
        place.sqlite_path.chmod(0o600)
    else:
        assert place.dsn is not None
        _run_pg([_bin("pg_restore"), "--clean", "--if-exists", "--no-owner",
                 "--no-privileges", "--single-transaction", "--exit-on-error",
                 f"--dbname={_dbname(place.dsn)}", str(source)], place.dsn)


def _dbname(dsn: str) -> str:
    """The database's name alone (not secret): the rest reaches pg_restore by environment."""
    env = _libpq_env(dsn)
    return env.get("PGDATABASE") or env.get("PGUSER") or "postgres"


_COUNT = "SELECT count(*) FROM items WHERE pk LIKE {} AND sk = 'META'"


def counts(place: TablePlace, copy: Path | None = None) -> dict[str, int]:
    """Units, apps and messages in the table (or in a SQLite `copy` of it)."""
    if place.backend == "sqlite":
        path = copy or place.sqlite_path
        assert path is not None
        with _sqlite(path) as conn:
            return {name: int(conn.execute(_COUNT.format("?"), (like,)).fetchone()[0])
                    for name, like in COUNTED.items()}
    assert place.dsn is not None
    with _pg_connect(place.dsn) as conn:
        return _pg_counts(conn)


def _pg_counts(conn: Any) -> dict[str, int]:
    return {name: int(conn.execute(_COUNT.format("%s"), (like,)).fetchone()[0])
            for name, like in COUNTED.items()}


def is_empty(place: TablePlace) -> bool:
    """Whether the table holds no item (or does not exist yet)."""
    if place.backend == "sqlite":
        assert place.sqlite_path is not None
        if not place.sqlite_path.exists():
            return True
        with _sqlite(place.sqlite_path) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'items'").fetchone() \
                    is None:
                return True
            return conn.execute("SELECT 1 FROM items LIMIT 1").fetchone() is None
    assert place.dsn is not None
    with _pg_connect(place.dsn) as conn:
        if conn.execute("SELECT to_regclass('items')").fetchone()[0] is None:
            return True
        return conn.execute("SELECT 1 FROM items LIMIT 1").fetchone() is None


@contextlib.contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        yield conn
    finally:
        conn.close()
