"""Routes to peer hubs and the resolution of a unit code (issue 15, R-PROP-10;
docs/federation.md). The rules (patterns, precedence, a disabled peer) are in
`domain/federation.py`; here they meet the table.

    peer_routes.add(deps, caller, RouteRequest(pattern="H31", peer="hanoi"))
    peer_routes.resolve(deps, caller, "000.00.00.H31")   # routed to hanoi

A route is one item of the partition `ROUTES` keyed by its pattern, written in one
transaction with the count of routes on its peer (which must exist), so two routes with
one pattern cannot both be written and a peer with routes cannot be removed. Resolving a
code reads its registry entry, at most four routes by key and the peer: never a scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from chalicelib.domain import federation as rules, identifiers, keys
from chalicelib.domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.federation_schemas import (
    Outcome,
    ResolutionView,
    RouteKind,
    RoutePage,
    RouteRequest,
    RouteView,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import peers
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator


def add(deps: Deps, caller: Caller, body: RouteRequest) -> RouteView:
    """Route a pattern to a peer (operators only): 409 `route_exists` if a route has the
    same pattern, 404 `peer_not_found` if the peer does not exist."""
    require_operator(deps, caller)
    pattern = rules.parse_pattern(body.pattern)
    peers.require_peer(deps, body.peer)
    pk, sk = keys.route(pattern.text)
    item: Item = {"kind": "route", "pattern": pattern.text, "route_kind": pattern.kind,
                  "peer": body.peer, "created_at": deps.clock.now(),
                  "created_by": caller.actor}
    try:
        deps.table.transact([
            Put({"pk": pk, "sk": sk, **item}, Condition(exists=False)),
            Update(*keys.peer(body.peer), add={"routes": 1}, condition=Condition(exists=True)),
        ])
    except TransactionConflictError as exc:
        if exc.reasons and exc.reasons[0]:
            taken = deps.table.get(pk, sk)
            to = f" (to peer '{taken['peer']}')" if taken else ""
            raise ConflictError(f"A route with pattern '{pattern.text}' exists already{to}: "
                                "remove it first.", code="route_exists") from exc
        peers.require_peer(deps, body.peer)  # removed meanwhile: 404
        raise
    return view(item)


def list_all(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> RoutePage:
    """Every route, by pattern (operators only): one query of `ROUTES`."""
    require_operator(deps, caller)
    page = deps.table.query(keys.ROUTES, limit=limit, cursor=cursor)
    return RoutePage(items=[view(i) for i in page.items], next_cursor=page.cursor)


def remove(deps: Deps, caller: Caller, route_id: str) -> None:
    """Remove a route (operators only); 404 `route_not_found` if there is none. Its id is
    its pattern (`default` for `*`)."""
    require_operator(deps, caller)
    try:
        pattern = rules.parse_pattern(route_id)
    except InvalidRequestError as exc:
        raise _not_found(route_id) from exc
    item = deps.table.get(*keys.route(pattern.text))
    if item is None:
        raise _not_found(route_id)
    try:
        deps.table.transact([
            Delete(*keys.route(pattern.text), Condition(equals={"peer": item["peer"]})),
            Update(*keys.peer(item["peer"]), add={"routes": -1},
                   condition=Condition(exists=True)),
        ])
    except TransactionConflictError as exc:  # removed (or replaced) meanwhile
        raise _not_found(route_id) from exc


def resolve(deps: Deps, caller: Caller, code: str | None) -> ResolutionView:
    """Where `code` goes (operators only): local, a peer, or no route, and why."""
    require_operator(deps, caller)
    if not code:
        raise InvalidRequestError("code: give the unit code to resolve (?code=...).",
                                  code="validation_failed", field="code")
    identifiers.parse(code, field="code")
    found = where(deps, code)
    decided = found.resolution
    routed = found.peer if decided.outcome == rules.ROUTED else None
    return ResolutionView(
        code=code, local=decided.local, outcome=cast(Outcome, decided.outcome),
        peer=peers.view(deps, routed) if routed else None,
        route=view(found.route) if found.route and decided.route else None)


@dataclass(frozen=True)
class Where:
    """A code's resolution with the items that decided it: the route (None for local
    and no route) and its peer (None if none)."""

    resolution: rules.Resolution
    route: Item | None = None
    peer: Item | None = None


def where(deps: Deps, code: str) -> Where:
    """Resolve a valid `code`, for any use case (no caller check): its registry entry,
    then at most four routes by key, most specific first, and the peer of the first
    found (`domain/federation.resolve` decides)."""
    if deps.table.get(*keys.unit(code)) is not None:
        return Where(rules.resolve(code, registered=True, routes={}, peer_states={}))
    route: Item | None = None
    for pattern in rules.candidates(code):
        route = deps.table.get(*keys.route(pattern.text))
        if route is not None:
            break  # the most specific decides
    if route is None:
        return Where(rules.resolve(code, registered=False, routes={}, peer_states={}))
    peer = deps.table.get(*keys.peer(route["peer"]))
    decided = rules.resolve(code, registered=False, routes={route["pattern"]: route["peer"]},
                            peer_states={peer["id"]: str(peer["state"])} if peer else {})
    return Where(decided, route, peer)


def _not_found(route_id: str) -> NotFoundError:
    return NotFoundError(f"No route '{route_id[:40]}' (a route's id is its pattern, "
                         "`default` for *).", code="peer_route_not_found")


def view(item: Mapping[str, Any]) -> RouteView:
    pattern = rules.Pattern(item["route_kind"], item["pattern"])
    return RouteView(id=pattern.route_id, pattern=pattern.text,
                     kind=cast(RouteKind, pattern.kind), peer=item["peer"],
                     created_at=iso(item["created_at"]), created_by=item["created_by"])
