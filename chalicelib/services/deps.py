"""What every use case needs: the ports, the clock, ids and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.ports import (
    Clock,
    Connections,
    IdFactory,
    ObjectStore,
    SecretSealer,
    Table,
    Topic,
)


@dataclass(frozen=True)
class Deps:
    table: Table
    objects: ObjectStore
    clock: Clock
    ids: IdFactory
    sealer: SecretSealer
    settings: Settings
    topic: Topic
    connections: Connections
