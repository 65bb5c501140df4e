"""Authentication of every signed call (R-COMP-4): signature, then replay protection."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import AuthenticationError, ConditionFailedError
from chalicelib.domain.ports import Condition, Item
from chalicelib.domain.signatures import Caller, SignedRequest, VerificationKey, verify_request
from chalicelib.services.deps import Deps
from chalicelib.services.registry import load_key, record_key_use


def authenticate(deps: Deps, request: SignedRequest, *, require_nonce: bool = False) -> Caller:
    """Verify the request's RFC 9421 signature against the caller's registered key, then
    remember its nonce for the skew window so the same signed request cannot be replayed.
    Only then is the key's use recorded (at most hourly), so a forged call never counts."""
    skew = deps.settings.clock_skew_seconds
    seen: list[Item] = []

    def find_key(key_id: str) -> VerificationKey | None:
        found = load_key(deps, key_id)
        if found is None:
            return None
        seen.append(found[1])
        return found[0]

    caller = verify_request(request, now=deps.clock.now(), skew_seconds=skew, find_key=find_key,
                            require_nonce=require_nonce)
    if caller.nonce is not None:
        pk, sk = keys.nonce(caller.key_id, caller.nonce)
        try:
            deps.table.put({"pk": pk, "sk": sk, "kind": "nonce",
                            "ttl": caller.created + 2 * skew}, Condition(exists=False))
        except ConditionFailedError as exc:
            raise AuthenticationError("This signed request was already used.",
                                      code="replayed") from exc
    if seen:
        record_key_use(deps, seen[0])
    return caller
