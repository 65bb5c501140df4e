"""Remote units: the units of peer hubs, looked up by code and cached (issue 15,
R-PROP-10; docs/federation.md, "Remote units").

    remote_units.lookup(deps, "000.00.01.H31")   # {"code", "name", ..., "peer": "hanoi",
                                                 #  "stale": False} or None

A code is remote when it is not in our registry and a route sends it to an active peer
(`peer_routes.where`). Its copy in the table (`REMOTEUNIT#{code}`) is used for an hour
(`FRESH_SECONDS`) without asking; after that the peer is asked again
(`GET /v1/federation/units/{code}`, signed). When the peer does not answer usefully (down,
refusing us, our own configuration missing), the copy is still served, marked `stale`,
while it is kept: a week (`KEEP_SECONDS`, its `ttl`, after which the purge removes it).
Without a copy, that is 502 `peer_unreachable`. A copy from another peer than the one the
code is routed to now is never served. The peer saying 404 removes the copy: None.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.domain import federation as rules, identifiers, keys
from chalicelib.domain.directory_schemas import DirectoryUnit
from chalicelib.domain.errors import ConflictError, LgspError
from chalicelib.domain.peer_call_schemas import PeerUnit
from chalicelib.domain.ports import Item
from chalicelib.domain.times import iso
from chalicelib.services import peer_calls, peer_link, peer_routes
from chalicelib.services.deps import Deps

FRESH_SECONDS = 3600  # a copy is served without asking the peer for this long
KEEP_SECONDS = 7 * 24 * 3600  # then kept as a stale fallback for this long (its ttl)
UNIT_FIELDS = ("code", "name", "short_name", "level", "parent", "state", "account",
               "successors", "hub")


class PeerUnreachableLookupError(LgspError):
    """A remote unit's peer hub did not answer usefully and no copy is held."""

    status = 502
    code = "peer_unreachable"


def lookup(deps: Deps, code: str) -> Item | None:
    """The unit of a peer hub that `code` is routed to: its fields (`UNIT_FIELDS`, `hub`
    being the peer's URL), `peer` (our id of the peer), `fetched_at`, `stale`; None for a
    local code, a code with no active route, or a unit the peer does not have. 400
    `invalid_unit_code` for a malformed code; 502 `peer_unreachable` as above."""
    identifiers.parse(code)
    found = peer_routes.where(deps, code)
    if found.resolution.outcome != rules.ROUTED or found.peer is None:
        return None
    peer, now = found.peer, deps.clock.now()
    cached = deps.table.get(*keys.remote_unit(code))
    if cached is not None and cached["peer"] != peer["id"]:
        cached = None  # the code is routed elsewhere now
    if cached is not None and now < int(cached["fetched_at"]) + FRESH_SECONDS:
        return _found(cached, stale=False)
    try:
        answer = peer_calls.call_peer(deps, peer, "GET", peer_link.unit_path(code))
    except peer_calls.PeerUnreachableError as exc:
        return _fallback(cached, peer["id"], f"status {exc.status}" if exc.status else
                         "no answer")
    except ConflictError as exc:  # our own configuration: no public URL, no key
        return _fallback(cached, peer["id"], exc.code)
    if answer.status == 404:
        deps.table.delete(*keys.remote_unit(code))
        return None
    unit = _unit(answer, code)
    if unit is None:
        return _fallback(cached, peer["id"], f"status {answer.status}, "
                         f"{_error_code(answer.body)}")
    pk, sk = keys.remote_unit(code)
    item: Item = {"pk": pk, "sk": sk, "kind": "remote_unit", **unit, "peer": peer["id"],
                  "fetched_at": now, "ttl": now + KEEP_SECONDS}
    deps.table.put(item)
    return _found(item, stale=False)


def directory_unit(deps: Deps, code: str) -> DirectoryUnit | None:
    """A remote unit as the directory shows it (`remote: true`, `hub`: our id of its
    peer), or None (see `lookup`)."""
    found = lookup(deps, code)
    if found is None:
        return None
    return DirectoryUnit(code=found["code"], name=found["name"],
                         short_name=found["short_name"], level=found["level"],
                         parent=found["parent"], status=found["state"],
                         account=found["account"], successors=found["successors"],
                         remote=True, hub=found["peer"], stale=found["stale"],
                         fetched_at=iso(found["fetched_at"]))


def _unit(answer: peer_calls.PeerAnswer, code: str) -> dict[str, Any] | None:
    """The unit the peer answered, if it is a 200 of the right shape for `code`."""
    if answer.status != 200:
        return None
    try:
        unit = PeerUnit.model_validate(answer.body)
    except ValidationError:
        return None
    return unit.model_dump() if unit.code == code else None


def _error_code(body: dict[str, Any]) -> str:
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code[:100] if isinstance(code, str) else "no error code"


def _found(item: Item, *, stale: bool) -> Item:
    return {**{name: item[name] for name in UNIT_FIELDS}, "peer": item["peer"],
            "fetched_at": item["fetched_at"], "stale": stale}


def _fallback(cached: Item | None, peer_id: str, why: str) -> Item:
    if cached is not None:
        return _found(cached, stale=True)
    raise PeerUnreachableLookupError(f"The unit is at peer hub '{peer_id}', which did not "
                                     f"answer usefully ({why}); try again later.")
