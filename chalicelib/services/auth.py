"""Authentication of every signed call (R-COMP-4): signature, then replay protection."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import AuthenticationError, ConditionFailedError
from chalicelib.domain.logs import claimed_key_id
from chalicelib.domain.ports import Condition, Item
from chalicelib.domain.signatures import Caller, SignedRequest, VerificationKey, verify_request
from chalicelib.services.deps import Deps
from chalicelib.services.keys_lookup import load_key, record_key_use


class SignatureRefusedError(AuthenticationError):
    """A refused signature that names an access key (`key_id`, maybe forged): the error
    log writes it for the unit owning that key (docs/reports.md). `verified`: the
    signature itself was good (a replay)."""

    def __init__(self, refused: AuthenticationError, key_id: str, *, verified: bool) -> None:
        super().__init__(refused.message, code=refused.code, **refused.details)
        self.key_id = key_id
        self.verified = verified


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

    try:
        caller = verify_request(request, now=deps.clock.now(), skew_seconds=skew,
                                find_key=find_key, require_nonce=require_nonce)
    except AuthenticationError as exc:
        key_id = claimed_key_id(request.headers)
        if key_id is None:
            raise
        raise SignatureRefusedError(exc, key_id, verified=False) from exc
    if caller.nonce is not None:
        pk, sk = keys.nonce(caller.key_id, caller.nonce)
        try:
            deps.table.put({"pk": pk, "sk": sk, "kind": "nonce",
                            "ttl": caller.created + 2 * skew}, Condition(exists=False))
        except ConditionFailedError as exc:
            replayed = AuthenticationError("This signed request was already used.",
                                           code="replayed")
            raise SignatureRefusedError(replayed, caller.key_id, verified=True) from exc
    if seen:
        record_key_use(deps, seen[0])
    return caller
