"""Brokered service-to-service calls (R-AUTH-1..6): the hub opens sessions for sources
and answers destinations' introspections.

A session token is an RS256 JWT signed by the hub (`hub_signing`); introspection checks it
again against the current state (source key, grant, service), so a revocation takes effect
before the token expires.
"""

from __future__ import annotations

from chalicelib.adapters import hub_keys
from chalicelib.domain import sessions as rules
from chalicelib.domain.errors import AuthenticationError, ForbiddenError, LgspError
from chalicelib.domain.session_schemas import (
    ForwardedRequest,
    Introspection,
    OpenSessionRequest,
    SessionGrant,
    SourceIdentity,
)
from chalicelib.domain.signatures import Caller, SignedRequest
from chalicelib.domain.times import iso
from chalicelib.services import hub_signing, service_registry
from chalicelib.services.auth import authenticate
from chalicelib.services.deps import Deps
from chalicelib.services.hub_signing import rotate_signing_key
from chalicelib.services.registry import find_verification_key

__all__ = ["introspect", "open_session", "rotate_signing_key"]

INACTIVE = Introspection(active=False)


def open_session(deps: Deps, caller: Caller, body: OpenSessionRequest) -> SessionGrant:
    """R-AUTH-2: the caller was authenticated by its signature (an active key of an active
    app and unit); it gets a session token if a grant covers the scopes, else
    403 `access_denied` (also for a service that does not exist: nothing to enumerate)."""
    ref = rules.parse_service_ref(body.service)
    service = service_registry.get_service(deps, ref.unit, ref.service_id)
    if service is None:
        raise ForbiddenError("The source has no grant on this service.", code="access_denied")
    grants = service_registry.grants_for(deps, ref.unit, ref.service_id, caller.unit)
    scopes = rules.choose_scopes(body.scopes,
                                 rules.granted_scopes(grants, caller.unit, caller.app))
    now, lifetime = deps.clock.now(), deps.settings.session_seconds
    claims = rules.new_claims(ref, source_unit=caller.unit, source_app=caller.app,
                              key_id=caller.key_id, scopes=scopes, now=now,
                              lifetime=lifetime, jti=deps.ids.new_id())
    key = hub_signing.current_key(deps)
    token = hub_keys.sign(claims.to_jwt(), key.private_pem, key.kid)
    return SessionGrant(token=token, expires_in=lifetime, expires_at=iso(claims.exp),
                        scope=" ".join(scopes), service=service_registry.service_view(service))


def _claims_still_hold(deps: Deps, claims: rules.SessionClaims) -> bool:
    """The source key still active, the service still there, the grant still given."""
    source = find_verification_key(deps, claims.kid_src)
    if source is None or not source.active or (source.unit, source.app) != (
            claims.sub, claims.client_id):
        return False
    ref = rules.parse_service_ref(claims.aud)
    if service_registry.get_service(deps, ref.unit, ref.service_id) is None:
        return False
    grants = service_registry.grants_for(deps, ref.unit, ref.service_id, claims.sub)
    return rules.still_granted(claims, grants)


def _forwarded_call_holds(deps: Deps, claims: rules.SessionClaims,
                          forwarded: ForwardedRequest) -> bool:
    """R-AUTH-5: the source's own signature on its call to the service verifies (with the
    hub's replay protection), by an app of the token's source, for this service's URL."""
    ref = rules.parse_service_ref(claims.aud)
    service = service_registry.get_service(deps, ref.unit, ref.service_id)
    if service is None or not rules.base_url_covers(service["base_url"], forwarded.url):
        return False
    headers = {k.lower(): v for k, v in forwarded.headers.items()}
    try:
        signer = authenticate(deps, SignedRequest(method=forwarded.method, url=forwarded.url,
                                                  headers=headers, body=b""))
    except AuthenticationError:
        return False
    return (signer.unit, signer.app) == (claims.sub, claims.client_id)


def introspect(deps: Deps, caller: Caller, token: str,
               forwarded: ForwardedRequest | None = None) -> Introspection:
    """RFC 7662 for the destination (R-AUTH-4/5): `{"active": false}` unless the token is
    the hub's, unexpired, for a service of the caller's unit, and still backed by an active
    source key and a grant (and the forwarded call, if sent, verifies)."""
    payload = hub_keys.verify(token, lambda kid: hub_signing.find_jwk(deps, kid))
    claims = rules.claims_from_jwt(payload, deps.clock.now()) if payload else None
    if claims is None or not rules.owns_audience(caller.unit, claims.aud):
        return INACTIVE
    try:
        if not _claims_still_hold(deps, claims):
            return INACTIVE
    except LgspError:  # an audience the hub would not issue today
        return INACTIVE
    verified = None
    if forwarded is not None:
        if not _forwarded_call_holds(deps, claims, forwarded):
            return INACTIVE
        verified = True
    return Introspection(
        active=True, iss=claims.iss, sub=claims.sub, aud=claims.aud,
        client_id=claims.client_id, scope=" ".join(claims.scope), iat=claims.iat,
        exp=claims.exp, jti=claims.jti, token_type="Bearer",
        source=SourceIdentity(unit=claims.sub, app=claims.client_id, key_id=claims.kid_src),
        request_verified=verified)
