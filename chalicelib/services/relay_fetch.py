"""A destination of ours fetching a message relayed from a peer hub downloads it from the
origin's store: the presigned GET the origin handed over, or a fresh one the origin gives
when that one has (nearly) expired (docs/federation.md, "Which path the bytes take")."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import ConflictError, LgspError
from chalicelib.domain.ports import Condition, Item, PresignedRequest, Update
from chalicelib.services.deps import Deps

MARGIN_SECONDS = 300  # a GET handed on must leave the destination time to download


class OriginUnreachableError(LgspError):
    status = 503
    code = "origin_unreachable"


def origin_grant(deps: Deps, msg: Item) -> tuple[PresignedRequest, int]:
    """The GET a destination uses, and when it expires."""
    content = msg["content"]
    if int(content["expires_at"]) - deps.clock.now() < MARGIN_SECONDS:
        content = _fresh(deps, msg)
    return (PresignedRequest(content.get("method", "GET"), content["url"],
                             dict(content.get("headers") or {})), int(content["expires_at"]))


def _fresh(deps: Deps, msg: Item) -> dict[str, object]:
    from chalicelib.services.peer_calls import PeerUnreachableError, call_peer

    origin = msg["origin"]
    peer = deps.table.get(*keys.peer(origin["peer"]))
    if peer is None:
        raise ConflictError("The hub this message came from is no longer registered; its "
                            "content cannot be fetched.", code="not_available")
    try:
        answer = call_peer(deps, peer, "POST",
                           f"/v1/federation/messages/{origin['id']}/content-url", None)
    except PeerUnreachableError as exc:
        raise OriginUnreachableError(f"The hub this message came from ({origin['peer']}) "
                                     "does not answer; try again later.") from exc
    if answer.status != 200:
        raise ConflictError("The hub this message came from no longer has its content.",
                            code="not_available")
    content = {k: answer.body[k] for k in ("method", "url", "headers", "expires_at")}
    deps.table.update(Update(*keys.message(msg["id"]), set={"content": content},
                             condition=Condition(exists=True)))
    return content
