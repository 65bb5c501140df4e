"""Authentication of every signed call (R-COMP-4)."""

from __future__ import annotations

from chalicelib.domain.signatures import Caller, SignedRequest, verify_request
from chalicelib.services.deps import Deps
from chalicelib.services.registry import find_verification_key


def authenticate(deps: Deps, request: SignedRequest) -> Caller:
    """Verify the request's RFC 9421 signature against the caller's registered key."""
    return verify_request(
        request,
        now=deps.clock.now(),
        skew_seconds=deps.settings.clock_skew_seconds,
        find_key=lambda key_id: find_verification_key(deps, key_id),
    )
