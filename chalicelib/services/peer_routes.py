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
    registered = deps.table.get(*keys.unit(code)) is not None
    found: dict[str, Item] = {}
    if not registered:
        for pattern in rules.candidates(code):
            item = deps.table.get(*keys.route(pattern.text))
            if item is not None:
                found[pattern.text] = item
                break  # the most specific decides (domain/federation.resolve)
    peer_items = {i["peer"]: deps.table.get(*keys.peer(i["peer"])) for i in found.values()}
    states = {p: str(i["state"]) for p, i in peer_items.items() if i is not None}
    decided = rules.resolve(code, registered=registered,
                            routes={p: str(i["peer"]) for p, i in found.items()},
                            peer_states=states)
    peer_item = peer_items.get(decided.peer or "") if decided.outcome == rules.ROUTED else None
    return ResolutionView(
        code=code, local=decided.local, outcome=cast(Outcome, decided.outcome),
        peer=peers.view(deps, peer_item) if peer_item else None,
        route=view(found[decided.route]) if decided.route else None)


def _not_found(route_id: str) -> NotFoundError:
    return NotFoundError(f"No route '{route_id[:40]}' (a route's id is its pattern, "
                         "`default` for *).", code="peer_route_not_found")


def view(item: Mapping[str, Any]) -> RouteView:
    pattern = rules.Pattern(item["route_kind"], item["pattern"])
    return RouteView(id=pattern.route_id, pattern=pattern.text,
                     kind=cast(RouteKind, pattern.kind), peer=item["peer"],
                     created_at=iso(item["created_at"]), created_by=item["created_by"])
