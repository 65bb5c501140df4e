"""Calling a peer hub (issue 15, R-PROP-10, R-COMP-4; docs/federation.md, "Between
hubs"): one signed HTTP request to the peer's API, its answer, or why it is worth trying
again later.

    answer = peer_calls.call_peer(deps, peers.require_peer(deps, "hanoi"), "POST",
                                  "/v1/federation/ping", {})
    answer.status, answer.body          # 200, {"hub": ..., "peer": ..., "at": ...}

The call is signed per RFC 9421 (`domain/peer_signatures.py`) with the hub's own signing
key, the one the peer is told (`peers.our_kid`: the current key, or the pinned one), and
carries `lgsp-hub: <LGSP_PUBLIC_URL>`, the URL the peer registered us by. Nothing here
retries: a network failure, a timeout, a 5xx or a 429 is `PeerUnreachableError` (the
relay retries with back-off through the table); any other answer, a 4xx included, is a
`PeerAnswer`. Refused before anything is sent: a disabled peer (409 `peer_disabled`),
no `LGSP_PUBLIC_URL` (409 `hub_url_unset`), a pinned key no longer published (409
`hub_key_unpublished`).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import federation as rules, peer_signatures
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.ports import Item
from chalicelib.services import hub_signing, peers
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.federation")

CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 20.0  # seconds
MAX_ANSWER = 1024 * 1024  # a peer's answer is a small JSON document
JSON = "application/json"


@dataclass(frozen=True)
class PeerAnswer:
    status: int
    body: dict[str, Any]  # the JSON answer ({} when none or not a JSON object)
    elapsed_ms: float = 0.0  # from the request sent to the answer read


class PeerUnreachableError(Exception):
    """Worth trying again later: no answer (network, timeout, an answer over 1 MiB), or a
    5xx or 429 answer (`status`, None without an answer)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def signing_for(deps: Deps, peer: Item) -> tuple[str, hub_signing.SigningKey]:
    """Our public URL and the key we sign with toward `peer`, or 409 saying what an
    operator must set first."""
    hub_url = deps.settings.public_url
    if not hub_url:
        raise ConflictError("LGSP_PUBLIC_URL is not set: a peer hub knows this hub by its "
                            "public base URL, sent (signed) in every call. Set it first.",
                            code="hub_url_unset")
    kid = peers.our_kid(deps, peer)
    key = hub_signing.published_key(deps, kid) if kid else None
    if key is None:
        raise ConflictError(f"The hub key pinned toward peer '{peer['id']}' "
                            f"({peer['our_key']}) is no longer published: pin a published "
                            "key or 'current' (PATCH /v1/admin/peers/{peer}).",
                            code="hub_key_unpublished")
    return hub_url.rstrip("/"), key


def call_peer(deps: Deps, peer: Item, method: str, path: str,
              body: dict[str, Any] | None = None, *, allow_disabled: bool = False
              ) -> PeerAnswer:
    """Send one signed call to `peer` (its table item) at `peer["base_url"] + path`.

    `allow_disabled`: an operator's check of the link (a ping carries nothing) may reach
    a peer registered disabled, so a link is proven before documents are routed to it;
    everything else refuses a disabled peer (409 `peer_disabled`)."""
    if peer["state"] != rules.ACTIVE and not allow_disabled:
        raise ConflictError(f"Peer hub '{peer['id']}' is disabled: nothing is sent to it.",
                            code="peer_disabled")
    hub_url, key = signing_for(deps, peer)
    url = str(peer["base_url"]) + path
    data = None if body is None else json.dumps(body, ensure_ascii=False,
                                                separators=(",", ":")).encode()
    headers = {peer_signatures.HUB_HEADER: hub_url, "accept": JSON,
               **({"content-type": JSON} if data else {})}
    signed = peer_signatures.sign(method, url, headers, data, key_id=key.kid,
                                  private_pem=key.private_pem, created=deps.clock.now(),
                                  nonce=secrets.token_urlsafe(16))
    try:
        answer = deps.peer_http.send(method.upper(), url, headers=signed, body=data,
                                     connect_timeout=CONNECT_TIMEOUT,
                                     read_timeout=READ_TIMEOUT, max_answer=MAX_ANSWER)
    except OSError as exc:
        log.warning("peer %s: %s %s got no answer (%s)", peer["id"], method, path, exc)
        raise PeerUnreachableError(f"Peer hub '{peer['id']}' did not answer: {exc}") from exc
    log.info("peer %s: %s %s -> %s in %.0f ms", peer["id"], method, path, answer.status,
             answer.elapsed_ms)
    if answer.status >= 500 or answer.status == 429:
        raise PeerUnreachableError(f"Peer hub '{peer['id']}' answered {answer.status}: "
                                   "try again later.", status=answer.status)
    return PeerAnswer(answer.status, _json_object(answer.body), answer.elapsed_ms)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
