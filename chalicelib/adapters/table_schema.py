"""Versioned schemas of the SQL tables: an ordered list of numbered migrations, applied on
open, each in a transaction of its own under the engine's schema lock, so several hosts
opening one empty database at the same moment apply each version exactly once.

A database recorded at a version newer than the code's latest is refused
(`SchemaVersionError`): an old host must not write into a newer schema during a
host-by-host upgrade. A migration must keep the previous release working on the migrated
schema (expand, then contract in a later release): docs/data-model.md, "Schema versions".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.errors import SchemaVersionError

__all__ = ["Migration", "migrate"]


class _Executes(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...


@dataclass(frozen=True)
class Migration:
    """Version `version` of a schema: the statements that bring `version - 1` to it."""

    version: int
    what: str
    statements: tuple[str, ...]


def latest(migrations: Sequence[Migration]) -> int:
    """The newest version of an ordered list numbered 1, 2, 3... (checked)."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3... in order, not {versions}")
    return len(versions)


def migrate(migrations: Sequence[Migration], where: str, *,
            version_now: Callable[[], int],
            locked: Callable[[], AbstractContextManager[_Executes]],
            version_in: Callable[[_Executes], int],
            record: Callable[[_Executes, Migration], None]) -> int:
    """Bring the schema at `where` to the latest of `migrations`; its version.

    Hooks of the engine: `version_now()` reads the recorded version without the lock (0:
    nothing recorded); `locked()` is one transaction holding the schema lock, committed at
    its end; `version_in(conn)` is the version inside it (recognising a schema made before
    versions were recorded as version 1); `record(conn, migration)` notes a version as
    applied. Raises `SchemaVersionError` when the database is newer than the code.
    """
    known = latest(migrations)
    found = version_now()
    if found > known:
        raise SchemaVersionError(where, found, known)
    if found == known:
        return known
    for migration in migrations:
        with locked() as conn:
            current = version_in(conn)
            if current > known:
                raise SchemaVersionError(where, current, known)
            if migration.version <= current:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            record(conn, migration)
    return known
