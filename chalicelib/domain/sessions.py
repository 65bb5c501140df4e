"""Pure rules of brokered service-to-service calls (R-AUTH-1..6): service references,
grant matching, scope choice and the claims of a hub session token."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ForbiddenError, InvalidRequestError

ISSUER = "lgsp"
SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
UNIT = re.compile(r"^[0-9A-Za-z.]{3,32}$")
SCOPE = re.compile(r"^[a-z0-9][a-z0-9:._-]{0,63}$")


@dataclass(frozen=True)
class ServiceRef:
    unit: str
    service_id: str

    @property
    def audience(self) -> str:
        return f"{self.unit}/{self.service_id}"


@dataclass(frozen=True)
class SessionClaims:
    """What a hub session token asserts (RFC 7519 names, plus the source's key id)."""

    iss: str
    aud: str
    sub: str
    client_id: str
    kid_src: str
    scope: tuple[str, ...]
    iat: int
    exp: int
    jti: str

    def to_jwt(self) -> dict[str, Any]:
        return {"iss": self.iss, "aud": self.aud, "sub": self.sub, "client_id": self.client_id,
                "kid_src": self.kid_src, "scope": " ".join(self.scope), "iat": self.iat,
                "exp": self.exp, "jti": self.jti}


def parse_service_ref(text: str) -> ServiceRef:
    """`<unit>/<service_id>` -> ServiceRef, or `invalid_service`."""
    unit, _, service_id = text.partition("/")
    if not UNIT.match(unit) or not SERVICE_ID.match(service_id):
        raise InvalidRequestError("service must be '<unit code>/<service id>'.",
                                  code="invalid_service")
    return ServiceRef(unit, service_id)


def grant_matches(grant: Mapping[str, Any], source_unit: str, source_app: str) -> bool:
    """A grant covers a source app when it names its unit and that app (or any app)."""
    return grant.get("source_unit") == source_unit and grant.get("source_app") in (
        None, source_app)


def granted_scopes(grants: Iterable[Mapping[str, Any]], source_unit: str,
                   source_app: str) -> frozenset[str] | None:
    """The union of scopes of the grants covering the source; None if none covers it."""
    matching = [g for g in grants if grant_matches(g, source_unit, source_app)]
    if not matching:
        return None
    return frozenset(s for g in matching for s in g.get("scopes") or [])


def choose_scopes(requested: Iterable[str] | None, granted: frozenset[str] | None
                  ) -> tuple[str, ...]:
    """The scopes of a new session: those requested (all granted if none), each granted.
    Default deny: no grant, or any scope beyond it, is `access_denied`."""
    if granted is None:
        raise ForbiddenError("The source has no grant on this service.", code="access_denied")
    wanted = set(requested) if requested is not None else set(granted)
    if not wanted <= granted:
        raise ForbiddenError("A requested scope is not granted.", code="access_denied")
    return tuple(sorted(wanted))


def new_claims(service: ServiceRef, *, source_unit: str, source_app: str, key_id: str,
               scopes: tuple[str, ...], now: int, lifetime: int, jti: str) -> SessionClaims:
    return SessionClaims(iss=ISSUER, aud=service.audience, sub=source_unit,
                         client_id=source_app, kid_src=key_id, scope=scopes, iat=now,
                         exp=now + lifetime, jti=jti)


def claims_from_jwt(payload: Mapping[str, Any], now: int) -> SessionClaims | None:
    """Claims of a verified payload if well formed, issued by the hub and not expired."""
    try:
        claims = SessionClaims(
            iss=str(payload["iss"]), aud=str(payload["aud"]), sub=str(payload["sub"]),
            client_id=str(payload["client_id"]), kid_src=str(payload["kid_src"]),
            scope=tuple(str(payload["scope"]).split()), iat=int(payload["iat"]),
            exp=int(payload["exp"]), jti=str(payload["jti"]))
    except (KeyError, TypeError, ValueError):
        return None
    if claims.iss != ISSUER or not claims.iat <= now < claims.exp:
        return None
    return claims


def owns_audience(caller_unit: str, audience: str) -> bool:
    """Only apps of the unit exposing the service may introspect its tokens."""
    return audience.partition("/")[0] == caller_unit


def still_granted(claims: SessionClaims, grants: Iterable[Mapping[str, Any]]) -> bool:
    granted = granted_scopes(grants, claims.sub, claims.client_id)
    return granted is not None and set(claims.scope) <= granted


def base_url_covers(base_url: str, url: str) -> bool:
    """The forwarded call was addressed to this service (its base URL is a prefix)."""
    base = base_url.rstrip("/")
    return url == base or url.startswith(base + "/") or url.startswith(base + "?")
