"""Verifying a peer hub's call (issue 15, R-PROP-10, R-COMP-4; docs/federation.md,
"Between hubs"): which registered peer signed it, or a refusal with a stable code.

    caller = peer_auth.authenticate_peer(deps, signed_request)   # PeerCaller(peer="hanoi", ...)

1. The signature (label `lgsp-hub`) names the calling hub in the signed `lgsp-hub`
   header: the peer is the one registered with that base URL (a query of `PEERS`, a
   small partition); none is 401 `unknown_peer`.
2. Its key: the registered `public_jwk` (its `kid`, if it has one, must be the `keyid`),
   or the key with that `kid` in the peer's JWKS, fetched over HTTP and kept in this
   process for 5 minutes; a `keyid` not in it makes one fetch again, at most once a
   minute (the peer rotated). A JWKS that cannot be fetched is 503
   `peer_keys_unavailable` (the peer tries again later); a key that is not there is
   401 `signature_invalid`.
3. The signature itself (`domain/peer_signatures.verify`): time, coverage, the key's own
   algorithm, nonce, body digest.
4. A disabled peer, once proven to be that peer, is 403 `peer_disabled`.
5. The nonce is remembered for the skew window, per peer: the same call again is 401
   `replayed`.

Every refusal leaves one WARNING line naming the claimed hub URL and the reason (never
the signature, a header's value other than that URL, or the body).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import federation as rules, keys, peer_keys, peer_signatures
from chalicelib.domain.errors import (
    AuthenticationError,
    ConditionFailedError,
    ForbiddenError,
    InvalidRequestError,
    LgspError,
)
from chalicelib.domain.ports import Condition, Item
from chalicelib.domain.signatures import SignedRequest
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

log = logging.getLogger("lgsp.federation")

JWKS_FRESH_SECONDS = 300  # how long a fetched JWKS is used without fetching it again
REFETCH_GAP_SECONDS = 60  # an unknown kid fetches again at most this often
JWKS_TIMEOUTS = (5.0, 10.0)  # connect, read (seconds)
MAX_JWKS = 64 * 1024
_MAX_CACHED = 256  # JWKS URLs kept (peers are few)


@dataclass(frozen=True)
class PeerCaller:
    peer: str  # OUR id of the calling peer (its item's "id")
    kid: str
    hub_url: str  # the lgsp-hub it claimed (== that peer's base_url)


@dataclass(frozen=True)
class _Fetched:
    at: int
    keys: dict[str, dict[str, Any]]  # kid -> checked public JWK


class JwksCache:
    """The peers' JWKS, per URL, for this process (a Lambda container, a host process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetched: dict[str, _Fetched] = {}

    def clear(self) -> None:
        with self._lock:
            self._fetched.clear()

    def key(self, deps: Deps, url: str, kid: str) -> dict[str, Any] | None:
        """The key `kid` of the JWKS at `url`, fetching it when this process has none
        fresh, or when `kid` is unknown and the last fetch is over a minute old."""
        now = deps.clock.now()
        with self._lock:
            held = self._fetched.get(url)
        if held is not None and now - held.at < JWKS_FRESH_SECONDS and (
                kid in held.keys or now - held.at < REFETCH_GAP_SECONDS):
            return held.keys.get(kid)
        fetched = _Fetched(now, _fetch_jwks(deps, url))
        with self._lock:
            if len(self._fetched) >= _MAX_CACHED:
                self._fetched.clear()
            self._fetched[url] = fetched
        return fetched.keys.get(kid)


JWKS = JwksCache()


class PeerKeysUnavailableError(LgspError):
    """The calling peer's JWKS could not be read: its call may be sent again later."""

    status = 503
    code = "peer_keys_unavailable"


def _unavailable(url: str, why: str) -> PeerKeysUnavailableError:
    return PeerKeysUnavailableError(f"The calling hub's keys could not be read from "
                                    f"{url[:200]} ({why}): try again later.")


def _fetch_jwks(deps: Deps, url: str) -> dict[str, dict[str, Any]]:
    """The usable signing keys of a JWKS (RSA >= 2048 bits, P-256, Ed25519, each with a
    kid; others are skipped), or 503 `peer_keys_unavailable`."""
    try:
        answer = deps.peer_http.send("GET", url, headers={"accept": "application/json"},
                                     body=None, connect_timeout=JWKS_TIMEOUTS[0],
                                     read_timeout=JWKS_TIMEOUTS[1], max_answer=MAX_JWKS)
    except OSError as exc:
        raise _unavailable(url, "no answer") from exc
    if answer.status != 200:
        raise _unavailable(url, f"HTTP {answer.status}")
    try:
        listed = json.loads(answer.body).get("keys")
    except (ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise _unavailable(url, "not a JWKS") from exc
    if not isinstance(listed, list):
        raise _unavailable(url, "not a JWKS")
    found: dict[str, dict[str, Any]] = {}
    for raw in listed:
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
            continue
        try:
            jwk = peer_keys.public_jwk(raw)
        except InvalidRequestError:
            continue
        if "kid" in jwk:
            found[jwk["kid"]] = jwk
    return found


def _peer_at(deps: Deps, hub_url: str) -> Item:
    for item in every_item(deps, keys.PEERS):
        if peer_signatures.canonical_url(str(item["base_url"])) == hub_url:
            return item
    raise AuthenticationError("No peer hub is registered here with this lgsp-hub URL.",
                              code="unknown_peer")


def _key(deps: Deps, peer: Item, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] | None = peer.get("public_jwk")
    if jwk is not None:
        found = jwk if jwk.get("kid", kid) == kid else None
    else:
        found = JWKS.key(deps, str(peer["jwks_url"]), kid)
    if found is None:
        raise AuthenticationError("The signature could not be verified.",
                                  code="signature_invalid")
    return found


def authenticate_peer(deps: Deps, request: SignedRequest) -> PeerCaller:
    """The registered peer hub that signed `request`, or 401 / 403 / 503 (see the
    module's docstring), each refusal logged once."""
    try:
        claim = peer_signatures.read_claim(request)
        peer = _peer_at(deps, claim.hub_url)
        verified = peer_signatures.verify(
            request, claim, _key(deps, peer, claim.key_id), now=deps.clock.now(),
            skew_seconds=deps.settings.clock_skew_seconds)
        if peer["state"] != rules.ACTIVE:
            raise ForbiddenError(f"This hub has disabled peer '{peer['id']}': its calls are "
                                 "refused.", code="peer_disabled")
        _remember_nonce(deps, str(peer["id"]), verified)
    except LgspError as refused:
        log.warning(json.dumps({"event": "peer_call_refused",
                                "hub": (peer_signatures.claimed_hub(request) or "")[:200],
                                "status": refused.status, "code": refused.code,
                                "reason": refused.message}, ensure_ascii=False))
        raise
    return PeerCaller(peer=str(peer["id"]), kid=claim.key_id, hub_url=str(peer["base_url"]))


def _remember_nonce(deps: Deps, peer_id: str, verified: peer_signatures.Verified) -> None:
    """Single use for the skew window, in the peer's own namespace of nonces."""
    pk, sk = keys.nonce(f"peer:{peer_id}", verified.nonce)
    try:
        deps.table.put({"pk": pk, "sk": sk, "kind": "nonce", "ttl": verified.created + 2 *
                        deps.settings.clock_skew_seconds}, Condition(exists=False))
    except ConditionFailedError as exc:
        raise AuthenticationError("This signed request was already used.",
                                  code="replayed") from exc
