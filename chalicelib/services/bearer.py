"""Access tokens of the hub's single sign-on, where the hub itself accepts them: the
`userinfo` endpoint (any client's token) and the admin API (`lgsp:admin` tokens of the
hub's own clients, audience `lgsp-api`), so that an admin action names the person.

A token is accepted only while everything behind it stands: its signature (a published
hub key), issuer, audience and expiry, and, read on every use, its token family (not
revoked by logout or a reused code), its client (not cancelled by form 12) and its
person (not disabled). The person's roles are read now, not from the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import hub_keys
from chalicelib.domain import keys, oidc as rules
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.ports import Item
from chalicelib.domain.signatures import Caller
from chalicelib.services import hub_signing, oidc_clients, people
from chalicelib.services.deps import Deps


@dataclass(frozen=True)
class AccessGrant:
    claims: dict[str, Any]
    person: Item


def _token_refused(message: str, code: str) -> AuthenticationError:
    return AuthenticationError(message, code=code)


def verify(deps: Deps, authorization: str | None, *, issuer: str,
           audience: str | None = None) -> AccessGrant:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _token_refused("Send the access token as `Authorization: Bearer <token>`.",
                             "token_missing")
    token = token.strip()
    if hub_keys.unverified_header(token).get("typ") != "at+jwt":
        raise _token_refused("This is not an access token of the hub.", "invalid_token")
    claims = hub_keys.verify(token, lambda kid: hub_signing.find_jwk(deps, kid))
    if claims is None or claims.get("iss") != issuer:
        raise _token_refused("The access token's signature or issuer is not the hub's.",
                             "invalid_token")
    if int(claims.get("exp") or 0) <= deps.clock.now():
        raise _token_refused("The access token has expired: refresh it.", "token_expired")
    audiences = claims.get("aud") or []
    if audience is not None and audience not in audiences:
        raise _token_refused(f"This token is not meant for {audience}.", "wrong_audience")
    family = deps.table.get(*keys.token_family(str(claims.get("fam"))))
    if family is None or family.get("status") != rules.ACTIVE:
        raise _token_refused("The access token was revoked (logout or a reused code).",
                             "token_revoked")
    client = oidc_clients.load(deps, str(claims.get("client_id")))
    if client is None or client["status"] != rules.ACTIVE:
        raise _token_refused("The app of this token is no longer registered with the SSO.",
                             "token_revoked")
    person = people.load(deps, str(family["account"]))
    if person is None or person["status"] != "active" or person["sub"] != claims.get("sub"):
        raise _token_refused("The person of this token is disabled.", "token_revoked")
    return AccessGrant(claims, person)


def userinfo(deps: Deps, grant: AccessGrant) -> dict[str, Any]:
    from chalicelib.services import units
    unit = units.get_unit(deps, grant.person["unit"])
    return rules.user_claims(grant.person, unit["name"] if unit else "",
                             str(grant.claims.get("scope") or ""))


def caller(deps: Deps, authorization: str | None, *, issuer: str) -> Caller:
    """The person behind an `lgsp:admin` token, as the API's caller."""
    grant = verify(deps, authorization, issuer=issuer, audience=rules.API_AUDIENCE)
    claims, person = grant.claims, grant.person
    return Caller(unit=person["unit"], app=str(claims["client_id"]),
                  key_id=f"token:{claims.get('jti')}", algorithm="bearer", nonce=None,
                  created=int(claims.get("iat") or 0), person=person["account"],
                  roles=tuple(person["roles"]))
