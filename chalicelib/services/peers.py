"""Peer hubs (issue 15, R-PROP-10; docs/federation.md): operators register the hubs of
other provinces and the national platform, change them, disable and remove them.

    view = peers.create(deps, caller, PeerRequest(id="ndxp", name="NDXP", base_url=...,
                        jwks_url="https://ndxp.gov.vn/.well-known/jwks.json"))
    peers.update(deps, caller, "ndxp", PeerChange(state="disabled"))

Every peer is one item of the partition `PEERS` (listing is a query). Each item counts
the routes pointing to it (`routes`), changed in the same transaction as the route, so a
peer is removed only while none does (a conditional delete: no race with a route being
added). Every change is an admin call, recorded in the audit log by the route machinery
(`services/call_records.py`).

**Our key toward a peer.** The relay signs (RFC 9421, `rsa-pss-sha512`) with the hub's
own signing keys, those already published at `/.well-known/jwks.json`
(`services/hub_signing.py`): a peer registers our JWKS URL once, rotation is the one
procedure operators already know, and the private key stays sealed where it is. A peer
either follows our current key (`our_key: current`, the default) or is pinned to a key id
(a peer that registered our key as a static JWK); a pinned key must be published.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import federation as rules, keys, peer_keys
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from chalicelib.domain.federation_schemas import PeerChange, PeerPage, PeerRequest, PeerView
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.domain.schemas import SLUG
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import hub_signing
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator

CURRENT = "current"
_SLUG_MAX = 64


def create(deps: Deps, caller: Caller, body: PeerRequest) -> PeerView:
    """Register a peer (operators only); 409 `peer_exists` if the id is taken."""
    require_operator(deps, caller)
    key = _key_fields(deps, body.public_jwk, body.jwks_url, given={"public_jwk", "jwks_url"}
                      & body.model_fields_set)
    now = deps.clock.now()
    item: Item = {
        "kind": "peer", "id": body.id, "name": body.name,
        "base_url": rules.check_base_url(body.base_url, field="base_url",
                                         allow_http=deps.settings.federation_allow_http),
        **key, "our_key": _our_key(deps, body.our_key), "state": body.state,
        "content": body.content, "routes": 0,
        "created_at": now, "created_by": caller.actor, "updated_at": now,
        "updated_by": caller.actor}
    pk, sk = keys.peer(body.id)
    try:
        deps.table.put({"pk": pk, "sk": sk, **item}, Condition(exists=False))
    except ConditionFailedError as exc:
        raise ConflictError(f"A peer '{body.id}' exists already: change it with PATCH.",
                            code="peer_exists") from exc
    return view(deps, item)


def list_all(deps: Deps, caller: Caller, *, limit: int, cursor: str | None) -> PeerPage:
    """Every peer, by id (operators only): one query of `PEERS`."""
    require_operator(deps, caller)
    page = deps.table.query(keys.PEERS, limit=limit, cursor=cursor)
    current = current_kid(deps)
    return PeerPage(items=[view(deps, i, current) for i in page.items],
                    next_cursor=page.cursor)


def get(deps: Deps, caller: Caller, peer_id: str) -> PeerView:
    require_operator(deps, caller)
    return view(deps, require_peer(deps, peer_id))


def update(deps: Deps, caller: Caller, peer_id: str, body: PeerChange) -> PeerView:
    """Change a peer's name, base URL, key, our key or state (operators only). A field
    left out stays; `null` is refused for every field (nothing here can be emptied)."""
    require_operator(deps, caller)
    given = body.model_fields_set
    nulls = sorted(name for name in given if getattr(body, name) is None)
    if nulls:
        raise InvalidRequestError(f"{nulls[0]}: may not be null (leave it out to keep it).",
                                  code="validation_failed", field=nulls[0])
    require_peer(deps, peer_id)
    change: dict[str, Any] = {}
    if body.name is not None:
        change["name"] = body.name
    if body.base_url is not None:
        change["base_url"] = rules.check_base_url(
            body.base_url, field="base_url", allow_http=deps.settings.federation_allow_http)
    if given & {"public_jwk", "jwks_url"}:
        change.update(_key_fields(deps, body.public_jwk, body.jwks_url,
                                  given=given & {"public_jwk", "jwks_url"}))
    if body.our_key is not None:
        change["our_key"] = _our_key(deps, body.our_key)
    if body.state is not None:
        change["state"] = body.state
    if body.content is not None:
        change["content"] = body.content
    change.update(updated_at=deps.clock.now(), updated_by=caller.actor)
    try:
        changed = deps.table.update(Update(*keys.peer(peer_id), set=change,
                                           condition=Condition(exists=True)))
    except ConditionFailedError as exc:  # removed meanwhile
        raise _not_found(peer_id) from exc
    return view(deps, changed)


def remove(deps: Deps, caller: Caller, peer_id: str) -> None:
    """Remove a peer no route points to (operators only): 409 `peer_in_use` otherwise."""
    require_operator(deps, caller)
    require_peer(deps, peer_id)
    try:
        deps.table.delete(*keys.peer(peer_id), Condition(equals={"routes": 0}))
    except ConditionFailedError as exc:
        if deps.table.get(*keys.peer(peer_id)) is None:
            raise _not_found(peer_id) from exc
        raise ConflictError(f"Routes point to peer '{peer_id}': remove them first "
                            "(GET /v1/admin/routes).", code="peer_in_use") from exc


def require_peer(deps: Deps, peer_id: str) -> Item:
    """The peer's item, or 404 `peer_not_found` (also for an id that is no slug)."""
    item = deps.table.get(*keys.peer(peer_id)) if _is_slug(peer_id) else None
    if item is None:
        raise _not_found(peer_id)
    return item


def _is_slug(text: str) -> bool:
    return len(text) <= _SLUG_MAX and re.match(SLUG, text) is not None


def _not_found(peer_id: str) -> NotFoundError:
    return NotFoundError(f"No peer hub '{peer_id[:_SLUG_MAX]}'.", code="peer_not_found")


def _key_fields(deps: Deps, jwk: Mapping[str, Any] | None, jwks_url: str | None, *,
                given: set[str]) -> dict[str, Any]:
    """Exactly one of a public JWK and a JWKS URL, checked; the other set to None."""
    if len(given) != 1 or (jwk is None and jwks_url is None):
        raise InvalidRequestError("public_jwk: give the peer's key as public_jwk or as "
                                  "jwks_url, exactly one of them.", code="invalid_peer_key",
                                  field="public_jwk")
    if jwks_url is not None:
        return {"public_jwk": None, "jwks_url": rules.check_base_url(
            jwks_url, field="jwks_url", allow_http=deps.settings.federation_allow_http)}
    return {"public_jwk": peer_keys.public_jwk(dict(jwk or {})), "jwks_url": None}


def _our_key(deps: Deps, our_key: str) -> str:
    """`current`, or a key id the hub publishes now (400 `unknown_hub_key` otherwise)."""
    if our_key != CURRENT and hub_signing.find_jwk(deps, our_key) is None:
        raise InvalidRequestError(f"our_key: the hub publishes no key '{our_key}' (see "
                                  "/.well-known/jwks.json), or say 'current'.",
                                  code="unknown_hub_key", field="our_key")
    return our_key


def current_kid(deps: Deps) -> str:
    """The hub's newest published key (generated on first use): the current one."""
    return str(hub_signing.jwks(deps)[0]["kid"])


def our_kid(deps: Deps, item: Mapping[str, Any], current: str | None = None) -> str | None:
    """The key id we sign with toward the peer now: the current key for `current`, the
    pinned one while it is published (None once it is not)."""
    if item["our_key"] == CURRENT:
        return current or current_kid(deps)
    return item["our_key"] if hub_signing.find_jwk(deps, item["our_key"]) else None


def view(deps: Deps, item: Mapping[str, Any], current: str | None = None) -> PeerView:
    """What the API shows of a peer (`current`: the current key id, when known)."""
    return PeerView(
        id=item["id"], name=item["name"], base_url=item["base_url"],
        public_jwk=item.get("public_jwk"), jwks_url=item.get("jwks_url"),
        our_key=item["our_key"], our_kid=our_kid(deps, item, current), state=item["state"],
        content=item.get("content") or "direct",
        routes=int(item.get("routes") or 0), created_at=iso(item["created_at"]),
        created_by=item["created_by"], updated_at=iso(item["updated_at"]),
        updated_by=item["updated_by"])
