"""What every use case needs: the ports, the clock, ids and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.domain.ports import (
    Clock,
    Connections,
    Downloads,
    FormPoster,
    IdFactory,
    ObjectStore,
    OutboundPoster,
    PeerTransport,
    SecretSealer,
    Table,
    Topic,
)
from chalicelib.services.auth_cache import AuthCache


class Kick:
    """Asks for the sweeper's work to be done soon rather than at its next run: work
    written due now (an edXML package to check, a relay to a peer hub). On `make run` the
    host connects it to its sweeper, which runs at once if this host holds the lease; on
    AWS nothing is connected and the work runs on the event or the next scheduled sweep."""

    def __init__(self) -> None:
        self._wake: Callable[[], None] | None = None

    def connect(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def __call__(self) -> None:
        if self._wake is not None:
            self._wake()


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
    kick: Kick = field(default_factory=Kick)
    kick_webhooks: Kick = field(default_factory=Kick)  # events written to the outbox
    auth_cache: AuthCache = field(default_factory=AuthCache)  # what signed calls read
    downloads: Downloads = field(default_factory=lambda: _downloads())  # noqa: PLW0108
    outbound: OutboundPoster = field(default_factory=lambda: _outbound())  # noqa: PLW0108
    peer_http: PeerTransport = field(default_factory=lambda: _peer_transport())  # noqa: PLW0108


def _outbound() -> OutboundPoster:
    """The strictest poster (https, public addresses only); the hub's own is built from
    its settings (bootstrap.build)."""
    from chalicelib.adapters.safe_http import SafePoster
    return SafePoster()


def _downloads() -> Downloads:
    from chalicelib.adapters.http_stream import UrllibDownloads
    return UrllibDownloads()


def _urllib_poster() -> FormPoster:
    from chalicelib.adapters.http_out import UrllibPoster
    return UrllibPoster()


def _peer_transport() -> PeerTransport:
    from chalicelib.adapters.peer_http import HttpPeerTransport
    return HttpPeerTransport()
