"""One-time WebSocket tickets: for clients that cannot sign the handshake (a browser's
WebSocket cannot set headers), a signed REST call buys a ticket that opens one connection.

A ticket is an RS256 JWT signed with the hub's session keys (`hub_signing`), audience
`lgsp-ws`, valid `ws_ticket_seconds`, used at most once (its id is remembered), and only
while the key that bought it is still usable.
"""

from __future__ import annotations

from chalicelib.adapters import hub_keys
from chalicelib.domain import keys
from chalicelib.domain.errors import AuthenticationError, ConditionFailedError
from chalicelib.domain.ports import Condition
from chalicelib.domain.session_schemas import WsTicket
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import hub_signing
from chalicelib.services.deps import Deps
from chalicelib.services.registry import find_verification_key

AUDIENCE, ISSUER = "lgsp-ws", "lgsp"


def issue(deps: Deps, caller: Caller, ws_url: str | None) -> WsTicket:
    now, lifetime = deps.clock.now(), deps.settings.ws_ticket_seconds
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": caller.unit, "client_id": caller.app,
              "kid_src": caller.key_id, "alg_src": caller.algorithm, "iat": now,
              "exp": now + lifetime, "jti": deps.ids.new_id()}
    key = hub_signing.current_key(deps)
    return WsTicket(ticket=hub_keys.sign(claims, key.private_pem, key.kid),
                    expires_at=iso(now + lifetime), websocket_url=ws_url)


def _refuse() -> AuthenticationError:
    return AuthenticationError("The ticket is not valid (expired, used or forged).",
                               code="ticket_invalid")


def redeem(deps: Deps, token: str) -> Caller:
    """The identity a ticket was issued to; the ticket cannot be used again."""
    if len(token) > 4096:
        raise _refuse()
    claims = hub_keys.verify(token, lambda kid: hub_signing.find_jwk(deps, kid))
    now = deps.clock.now()
    if (claims is None or claims.get("aud") != AUDIENCE or claims.get("iss") != ISSUER
            or not isinstance(claims.get("exp"), int) or claims["exp"] < now
            or not isinstance(claims.get("jti"), str)):
        raise _refuse()
    key = find_verification_key(deps, str(claims.get("kid_src")))
    if key is None or not key.active or (key.unit, key.app) != (claims.get("sub"),
                                                                 claims.get("client_id")):
        raise _refuse()
    try:
        pk, sk = keys.ws_ticket(claims["jti"])
        deps.table.put({"pk": pk, "sk": sk, "kind": "ws_ticket",
                        "ttl": claims["exp"] + 60}, Condition(exists=False))
    except ConditionFailedError as exc:
        raise _refuse() from exc
    return Caller(unit=key.unit, app=key.app, key_id=key.key_id, algorithm=key.algorithm,
                  nonce=None, created=now)
