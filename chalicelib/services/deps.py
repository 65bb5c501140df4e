"""What every use case needs: the ports, the clock, ids and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.domain.ports import (
    Clock,
    Connections,
    FormPoster,
    IdFactory,
    ObjectStore,
    PeerTransport,
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
    poster: FormPoster = field(default_factory=lambda: _urllib_poster())  # noqa: PLW0108
    peer_http: PeerTransport = field(default_factory=lambda: _peer_transport())  # noqa: PLW0108


def _urllib_poster() -> FormPoster:
    from chalicelib.adapters.http_out import UrllibPoster
    return UrllibPoster()


def _peer_transport() -> PeerTransport:
    from chalicelib.adapters.peer_http import HttpPeerTransport
    return HttpPeerTransport()
