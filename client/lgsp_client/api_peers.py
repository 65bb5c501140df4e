"""The peer-hub and route calls of `LgspClient` (operators; the hub's docs/federation.md):

    client.create_peer({"id": "hanoi", "name": "LGSP Hà Nội",
                        "base_url": "https://lgsp.hanoi.gov.vn",
                        "jwks_url": "https://lgsp.hanoi.gov.vn/.well-known/jwks.json"})
    client.update_peer("hanoi", {"state": "disabled"})
    client.add_route("H31", "hanoi")
    client.resolve_code("000.00.00.H31")["peer"]["id"]      # "hanoi"
    client.check_peer("hanoi")["ok"]                         # a signed ping went both ways
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

JSON = dict[str, Any]


class _Calls(Protocol):
    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any: ...


def _segment(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _page(cursor: str | None, limit: int | None) -> list[tuple[str, str]]:
    return [*((("cursor", cursor),) if cursor else ()),
            *((("limit", str(limit)),) if limit is not None else ())]


class PeerCalls:
    """Mixed into `LgspClient`."""

    def create_peer(self: _Calls, peer: Mapping[str, Any]) -> JSON:
        """Register a peer hub; a retry of a lost answer is a 409 `peer_exists`, so it is
        not retried."""
        return dict(self.call("POST", "/v1/admin/peers", body=peer, retry=False))

    def list_peers(self: _Calls, *, cursor: str | None = None,
                   limit: int | None = None) -> JSON:
        return dict(self.call("GET", "/v1/admin/peers", query=_page(cursor, limit)))

    def get_peer(self: _Calls, peer_id: str) -> JSON:
        return dict(self.call("GET", f"/v1/admin/peers/{_segment(peer_id)}"))

    def update_peer(self: _Calls, peer_id: str, change: Mapping[str, Any]) -> JSON:
        """Change fields of a peer (the same change twice is the same peer: retried)."""
        return dict(self.call("PATCH", f"/v1/admin/peers/{_segment(peer_id)}", body=change))

    def remove_peer(self: _Calls, peer_id: str) -> JSON:
        return dict(self.call("DELETE", f"/v1/admin/peers/{_segment(peer_id)}"))

    def check_peer(self: _Calls, peer_id: str) -> JSON:
        """The hub pings the peer signed and says what came back: `{peer, ok, status,
        latency_ms, known_as, hub, error}` (`known_as`: the id the peer knows us by)."""
        return dict(self.call("POST", f"/v1/admin/peers/{_segment(peer_id)}/check"))

    def add_route(self: _Calls, pattern: str, peer_id: str) -> JSON:
        return dict(self.call("POST", "/v1/admin/routes",
                              body={"pattern": pattern, "peer": peer_id}, retry=False))

    def list_routes(self: _Calls, *, cursor: str | None = None,
                    limit: int | None = None) -> JSON:
        return dict(self.call("GET", "/v1/admin/routes", query=_page(cursor, limit)))

    def remove_route(self: _Calls, route_id: str) -> JSON:
        """Remove the route with this pattern (`default` or `*` for the default)."""
        route = "default" if route_id == "*" else route_id
        return dict(self.call("DELETE", f"/v1/admin/routes/{_segment(route)}"))

    def resolve_code(self: _Calls, code: str) -> JSON:
        """`{code, local, outcome, peer, route}`: where the hub would send `code`."""
        return dict(self.call("GET", "/v1/admin/routes/resolve", query=[("code", code)]))
