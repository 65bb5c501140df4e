"""The edge of routes that peer hubs call (docs/federation.md, "Between hubs"): who signed
the request, as `services/peer_auth.py` proves it.

A route declared `RouteSpec(..., peer=True)` gets the peer in `call.peer` (refusals are
rendered like every error); a handler declared otherwise may call `peer_caller` itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalice.app import Request

    from chalicelib.services.peer_auth import PeerCaller


def peer_caller(request: Request) -> PeerCaller:
    """The registered peer hub that signed `request` (label `lgsp-hub`), or 401
    (`unknown_peer`, `signature_invalid`, `replayed`, ...), 403 `peer_disabled`, 503
    `peer_keys_unavailable`. An app's signature is refused."""
    from chalicelib.api.http import signed_request
    from chalicelib.bootstrap import deps
    from chalicelib.services.peer_auth import authenticate_peer

    current = deps()
    return authenticate_peer(current, signed_request(request, current))
