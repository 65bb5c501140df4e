"""What a peer hub may ask of this hub, and an operator's check of a link (issue 15,
R-PROP-10; docs/federation.md, "Between hubs").

    peer_link.ping(deps, caller, hub_url)           # {"hub", "peer", "at"}
    peer_link.unit(deps, caller, "000.00.01.H02", hub_url)
    peer_link.check(deps, operator, "hanoi")        # a signed ping, and what came back

A peer reads one of our units by code, in any state (active, suspended, dissolved: a
sender is better told a unit was dissolved, and by whom it was taken over, than that it
does not exist); any other code, one routed elsewhere included, is 404
`unit_not_found`: a peer never learns our routes.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import identifiers, keys
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.peer_call_schemas import CheckFailure, PeerCheck, PeerUnit, PingAnswer
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import peer_calls, peers
from chalicelib.services.deps import Deps
from chalicelib.services.peer_auth import PeerCaller
from chalicelib.services.roles import require_operator

PING = "/v1/federation/ping"


def unit_path(code: str) -> str:
    return f"/v1/federation/units/{code}"


def ping(deps: Deps, caller: PeerCaller, hub_url: str) -> PingAnswer:
    """Who we are, who we take the caller for, and our time."""
    return PingAnswer(hub=hub_url, peer=caller.peer, at=iso(deps.clock.now()))


def unit(deps: Deps, caller: PeerCaller, code: str, hub_url: str) -> PeerUnit:
    """One of our units for a peer (its directory entry), or 404 `unit_not_found`."""
    identifiers.parse(code)
    item = deps.table.get(*keys.directory_entry(code))
    if item is None:
        raise NotFoundError(f"No unit {code} in this hub's registry.", code="unit_not_found",
                            unit=code)
    name = str(item.get("name") or code)
    return PeerUnit(code=code, name=name, short_name=str(item.get("short_name") or name),
                    level=int(item.get("level") or 1), parent=item.get("parent"),
                    state=str(item.get("status") or "active"),
                    account=str(item.get("account") or code),
                    successors=list(item.get("successors") or ()), hub=hub_url)


def check(deps: Deps, caller: Caller, peer_id: str) -> PeerCheck:
    """A signed ping to the peer (operators only), registered disabled or not, and what
    came back: 200 naming us is `ok`; a refusal carries the peer's own error code
    (`unknown_peer`: it has not registered our URL; `signature_invalid`: not our key;
    `peer_disabled`: it disabled us). Our own configuration missing (no public URL, an
    unpublished pinned key) is 409, as for any call to a peer."""
    require_operator(deps, caller)
    peer = peers.require_peer(deps, peer_id)
    try:
        answer = peer_calls.call_peer(deps, peer, "POST", PING, {}, allow_disabled=True)
    except peer_calls.PeerUnreachableError as exc:
        return PeerCheck(peer=peer_id, ok=False, status=exc.status, latency_ms=None,
                         known_as=None, hub=None,
                         error=CheckFailure(code="peer_unreachable", message=str(exc)))
    known_as, hub = _text(answer.body, "peer"), _text(answer.body, "hub")
    error = None
    if answer.status != 200:
        error = _failure(answer)
    elif known_as is None or hub is None:
        error = CheckFailure(code="bad_answer", message="The peer answered 200 without "
                             "naming itself and us (`hub`, `peer`): is its base URL an LGSP?")
    return PeerCheck(peer=peer_id, ok=error is None, status=answer.status,
                     latency_ms=answer.elapsed_ms, known_as=known_as, hub=hub, error=error)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value[:500] if isinstance(value, str) else None


def _failure(answer: peer_calls.PeerAnswer) -> CheckFailure:
    """The peer's `{"error": {"code", "message"}}`, or its status when not that shape."""
    error = answer.body.get("error")
    if isinstance(error, dict):
        code, message = _text(error, "code"), _text(error, "message")
        if code and message:
            return CheckFailure(code=code[:100], message=message)
    return CheckFailure(code=f"http_{answer.status}",
                        message=f"The peer answered {answer.status} without an error body.")
