"""A person's SSO session (the cookie of the hub's login pages) and logging out of it.

The session is where single sign-on comes from: while it lives, every app that sends the
person to `/sso/authorize` gets a code without a login page. Each app it is used with is
recorded (both ways: session -> apps, app -> sessions), so that logging out, disabling
the person, or cancelling an app (form 12) can tell each app concerned by a signed
back-channel logout token, and revoke the refresh tokens issued in the session.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.adapters import credentials
from chalicelib.domain import keys, oidc as rules, people as people_rules
from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.ports import Condition, Item, Put, Update
from chalicelib.services import hub_signing, people
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

log = logging.getLogger("lgsp.sso")
BACKCHANNEL_TIMEOUT = 5.0


@dataclass(frozen=True)
class Session:
    sid: str
    person: Item
    auth_time: int
    amr: list[str]


def start(deps: Deps, person: Item, amr: list[str]) -> tuple[Session, str]:
    """A new session for `person`; the cookie's value is `<sid>.<secret>`."""
    sid, secret, now = "s-" + deps.ids.new_id(), credentials.new_secret(), deps.clock.now()
    expires = now + rules.SESSION_SECONDS
    pk, sk = keys.sso_session(sid)
    ipk, isk = keys.person_session(person["account"], sid)
    deps.table.transact([
        Put({"pk": pk, "sk": sk, "kind": "sso_session", "sid": sid,
             "account": person["account"], "secret_hash": credentials.digest(secret),
             "auth_time": now, "amr": amr, "expires_at": expires, "ttl": expires},
            Condition(exists=False)),
        Put({"pk": ipk, "sk": isk, "kind": "person_session", "sid": sid, "ttl": expires})])
    return Session(sid, person, now, amr), f"{sid}.{secret}"


def current(deps: Deps, cookie: str | None) -> Session | None:
    """The live session the cookie names, of a person still active; else None."""
    sid, _, secret = (cookie or "").partition(".")
    if not sid.startswith("s-") or not secret or len(cookie or "") > 200:
        return None
    item = deps.table.get(*keys.sso_session(sid))
    if item is None or int(item["expires_at"]) < deps.clock.now():
        return None
    if not credentials.same(item["secret_hash"], credentials.digest(secret)):
        return None
    person = people.load(deps, item["account"])
    if person is None or person["status"] != people_rules.ACTIVE:
        return None
    return Session(sid, person, int(item["auth_time"]), list(item.get("amr") or []))


def used_with(deps: Deps, sid: str, client_id: str, family: str | None = None) -> None:
    """Remember that the session signed the person in to `client_id` (and which token
    family it issued), for logout."""
    session = deps.table.get(*keys.sso_session(sid))
    if session is None:
        return
    ttl = int(session["ttl"])
    pk, sk = keys.sso_session_client(sid, client_id)
    cpk, csk = keys.client_session(client_id, sid)
    ops = [Put({"pk": pk, "sk": sk, "kind": "session_client", "client_id": client_id,
                "ttl": ttl}),
           Put({"pk": cpk, "sk": csk, "kind": "client_session", "sid": sid,
                "account": session["account"], "ttl": ttl})]
    if family:
        fpk, fsk = keys.session_family(sid, family)
        ops.append(Put({"pk": fpk, "sk": fsk, "kind": "session_family", "family": family,
                        "ttl": ttl}))
    deps.table.transact(ops)


def family_revoked(deps: Deps, family: str) -> bool:
    item = deps.table.get(*keys.token_family(family))
    return item is None or item.get("status") != rules.ACTIVE


def revoke_family(deps: Deps, family: str, reason: str) -> None:
    try:
        deps.table.update(Update(*keys.token_family(family), set={
            "status": "revoked", "revoked_because": reason, "revoked_at": deps.clock.now()},
            condition=Condition(exists=True)))
    except ConditionFailedError:
        return


def _tell(deps: Deps, issuer: str, client_id: str, sub: str, sid: str) -> None:
    """POST a signed logout token to the app's back-channel URI, if it has one."""
    from chalicelib.services import oidc_clients
    client = oidc_clients.load(deps, client_id)
    uri = client.get("backchannel_logout_uri") if client else None
    if not uri:
        return
    key = hub_signing.current_key(deps)
    from chalicelib.adapters import hub_keys
    token = hub_keys.sign(rules.logout_claims(issuer=issuer, client_id=client_id, sub=sub,
                                              sid=sid, now=deps.clock.now(),
                                              jti=deps.ids.new_id()),
                          key.private_pem, key.kid)
    try:
        status = deps.poster.post_form(uri, {"logout_token": token},
                                       timeout=BACKCHANNEL_TIMEOUT)
    except OSError as exc:
        log.warning("back-channel logout of %s failed: %s", client_id, exc)
        return
    if status >= 300:
        log.warning("back-channel logout of %s answered %s", client_id, status)


def end(deps: Deps, sid: str, issuer: str) -> list[str]:
    """End the session: every app it was used with is told, every token family it
    issued revoked. Returns the apps told. Ending twice does nothing more."""
    session = deps.table.get(*keys.sso_session(sid))
    if session is None:
        return []
    person = people.load(deps, session["account"])
    sub = person["sub"] if person else ""
    told: list[str] = []
    pk = keys.sso_session(sid)[0]
    for item in every_item(deps, pk):
        if item["sk"].startswith(keys.SESSION_FAMILIES):
            revoke_family(deps, item["family"], "logout")
        elif item["sk"].startswith(keys.SESSION_CLIENTS):
            client_id = item["client_id"]
            _tell(deps, issuer, client_id, sub, sid)
            deps.table.delete(*keys.client_session(client_id, sid))
            told.append(client_id)
        if item["sk"] != keys.META:
            deps.table.delete(item["pk"], item["sk"])
    deps.table.delete(*keys.sso_session(sid))
    deps.table.delete(*keys.person_session(session["account"], sid))
    return told


def end_person(deps: Deps, account: str, issuer: str) -> int:
    """End every session of a person (disabled): returns how many."""
    sessions = every_item(deps, keys.person_sessions_partition(account))
    for item in sessions:
        end(deps, item["sid"], issuer)
    return len(sessions)


def end_client(deps: Deps, client_id: str, issuer: str) -> int:
    """Log every person out of one app (its SSO integration cancelled): the app is told
    for each session; the sessions themselves go on for the person's other apps."""
    count = 0
    for item in every_item(deps, keys.client_sessions_partition(client_id)):
        session = deps.table.get(*keys.sso_session(item["sid"]))
        person = people.load(deps, item["account"])
        if session is not None and person is not None:
            _tell(deps, issuer, client_id, person["sub"], item["sid"])
        deps.table.delete(*keys.sso_session_client(item["sid"], client_id))
        deps.table.delete(item["pk"], item["sk"])
        count += 1
    return count
