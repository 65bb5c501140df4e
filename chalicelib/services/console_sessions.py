"""A person's session of the web console, opened by the hub's own single sign-on.

The console is an OpenID Connect client of the hub (the built-in `lgsp-console`): a
login goes to `/sso/authorize` with PKCE like any app's, and the code that comes back is
redeemed in this process. The console's session then stands on the SSO's: it is good
only while the person's SSO session, the token family the code opened and the person
all stand, read on every request, so that a logout anywhere (or the person disabled)
ends the console at once, like every other app of the SSO.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import credentials
from chalicelib.domain import keys, oidc as rules, people as people_rules
from chalicelib.domain.ports import Condition, Item
from chalicelib.domain.signatures import Caller
from chalicelib.services import people
from chalicelib.services.deps import Deps

LOGIN_SECONDS = 600  # from the login page to the SSO and back
SCOPE = "openid profile unit"


@dataclass(frozen=True)
class PendingLogin:
    state: str
    verifier: str
    nonce: str


@dataclass(frozen=True)
class ConsoleSession:
    sid: str  # the SSO session behind it
    person: Item
    expires_at: int

    @property
    def caller(self) -> Caller:
        """The person as the services' caller (their roles read now)."""
        person = self.person
        return Caller(unit=person["unit"], app=rules.CONSOLE_CLIENT,
                      key_id=f"console:{self.sid}", algorithm="console", nonce=None,
                      created=0, person=person["account"], roles=tuple(person["roles"]))


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def begin(deps: Deps, next_path: str) -> PendingLogin:
    """A login about to go to the SSO: its state (the cookie that ties the answer to
    this browser), PKCE verifier and nonce, kept until it comes back."""
    login = PendingLogin(credentials.new_secret(), credentials.new_secret(48),
                         credentials.new_secret(16))
    expires = deps.clock.now() + LOGIN_SECONDS
    pk, sk = keys.console_login(credentials.digest(login.state))
    deps.table.put({"pk": pk, "sk": sk, "kind": "console_login", "verifier": login.verifier,
                    "nonce": login.nonce, "next": next_path, "expires_at": expires,
                    "ttl": expires}, Condition(exists=False))
    return login


def finish_login(deps: Deps, state: str) -> Item | None:
    """The pending login `state` names, taken once (None: unknown, used or expired)."""
    if not state or len(state) > 100:
        return None
    pk, sk = keys.console_login(credentials.digest(state))
    item = deps.table.get(pk, sk)
    if item is None or int(item["expires_at"]) < deps.clock.now():
        return None
    deps.table.delete(pk, sk)
    return item


def start(deps: Deps, claims: dict[str, Any]) -> str:
    """A console session for the access token's person, SSO session and token family;
    returns the cookie's secret."""
    secret, now = credentials.new_secret(), deps.clock.now()
    expires = now + rules.SESSION_SECONDS
    pk, sk = keys.console_session(credentials.digest(secret))
    deps.table.put({"pk": pk, "sk": sk, "kind": "console_session",
                    "account": _account_of(deps, claims), "sid": claims.get("sid"),
                    "family": claims.get("fam"), "created_at": now, "expires_at": expires,
                    "ttl": expires}, Condition(exists=False))
    return secret


def redeem(deps: Deps, issuer: str, code: str, pending: Item) -> dict[str, Any] | None:
    """The claims of the access token the SSO gives for `code` (redeemed in this process,
    as the console's client, with the pending login's PKCE verifier), or None when the
    SSO refuses it (wrong, used or expired code)."""
    from chalice.app import CaseInsensitiveMapping

    from chalicelib.adapters import hub_keys
    from chalicelib.services import hub_signing
    from chalicelib.services.oidc_server import Incoming, Provider
    form = {"grant_type": ["authorization_code"], "code": [code],
            "redirect_uri": [rules.console_callback(issuer)],
            "client_id": [rules.CONSOLE_CLIENT], "code_verifier": [str(pending["verifier"])]}
    incoming = Incoming(method="POST", url=f"{issuer}/token",
                        headers=CaseInsensitiveMapping({
                            "content-type": "application/x-www-form-urlencoded"}),
                        query={}, form=form)
    status, body, _ = Provider(deps, issuer).create_token_response(incoming)
    if status != 200 or "access_token" not in body:
        return None
    claims = hub_keys.verify(body["access_token"], lambda kid: hub_signing.find_jwk(deps, kid))
    id_claims = hub_keys.verify(body.get("id_token", ""),
                                lambda kid: hub_signing.find_jwk(deps, kid)) or {}
    if claims is None or id_claims.get("nonce") != pending.get("nonce"):
        return None
    return claims


def _account_of(deps: Deps, claims: dict[str, Any]) -> str:
    family = deps.table.get(*keys.token_family(str(claims.get("fam"))))
    return str(family["account"]) if family else ""


def current(deps: Deps, secret: str | None) -> ConsoleSession | None:
    """The console session of the cookie, while everything behind it stands."""
    if not secret or len(secret) > 100:
        return None
    item = deps.table.get(*keys.console_session(credentials.digest(secret)))
    now = deps.clock.now()
    if item is None or int(item["expires_at"]) < now or not item.get("sid"):
        return None
    sso = deps.table.get(*keys.sso_session(str(item["sid"])))
    if sso is None or int(sso["expires_at"]) < now:
        return None
    family = deps.table.get(*keys.token_family(str(item.get("family"))))
    if family is None or family.get("status") != rules.ACTIVE:
        return None
    person = people.load(deps, str(item["account"]))
    if person is None or person["status"] != people_rules.ACTIVE:
        return None
    return ConsoleSession(str(item["sid"]), person, int(item["expires_at"]))


def end(deps: Deps, secret: str | None, issuer: str) -> None:
    """Sign out: the console session, and the SSO session behind it (every app of the
    person's single sign-on is told, as with a logout at the SSO)."""
    from chalicelib.services import sso_sessions
    if not secret or len(secret) > 100:
        return
    pk, sk = keys.console_session(credentials.digest(secret))
    item = deps.table.get(pk, sk)
    deps.table.delete(pk, sk)
    if item is not None and item.get("sid"):
        sso_sessions.end(deps, str(item["sid"]), issuer)
