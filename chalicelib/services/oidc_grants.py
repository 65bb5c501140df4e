"""What the hub's OpenID Connect provider stores, in the shapes Authlib's grants ask for:
clients, authorization codes, refresh tokens and device codes, all in the table.

Every secret (code, refresh token, device code) is kept as its SHA-256. Codes and
refresh tokens are redeemed by a conditional write *before* any token is issued, so of
two requests with the same one, one wins; a second use of either revokes the whole
family (everything issued from the same code or device grant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

from chalicelib.adapters import credentials
from chalicelib.domain import keys, oidc as rules
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Item, Put, Update
from chalicelib.services import people, replay, sso_sessions
from chalicelib.services.deps import Deps


@dataclass(frozen=True)
class Subject:
    """Who a grant is for: the person, and the SSO session it came from (if any)."""

    person: Item
    sid: str | None = None
    auth_time: int | None = None
    amr: list[str] = field(default_factory=list)


class Client(ClientMixin):
    def __init__(self, item: Item) -> None:
        self.item = item
        self.client_metadata = {
            "post_logout_redirect_uris": list(item.get("post_logout_redirect_uris") or [])}

    def get_client_id(self) -> str:
        return str(self.item["client_id"])

    def get_default_redirect_uri(self) -> None:
        return None  # every request names its redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        return rules.allowed_scope(scope, first_party=bool(self.item.get("first_party")))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return rules.registered(redirect_uri, list(self.item.get("redirect_uris") or []))

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.item.get("secret_hash")
        return bool(stored) and credentials.same(str(stored),
                                                 credentials.digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.item["token_endpoint_auth_method"]

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.item["grant_types"]

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.item["grant_types"]


class CodeRecord(AuthorizationCodeMixin):
    def __init__(self, item: Item) -> None:
        self.item = item
        self.code_challenge = item.get("code_challenge")
        self.code_challenge_method = item.get("code_challenge_method")

    def get_redirect_uri(self) -> str:
        return str(self.item["redirect_uri"])

    def get_scope(self) -> str:
        return str(self.item["scope"])

    def get_nonce(self) -> str | None:
        return self.item.get("nonce")

    def get_auth_time(self) -> int | None:
        return self.item.get("auth_time")

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str] | None:
        return self.item.get("amr") or None


class RefreshRecord(TokenMixin):
    def __init__(self, item: Item, now: int) -> None:
        self.item, self.now = item, now

    def check_client(self, client: Client) -> bool:
        return bool(client.get_client_id() == self.item["client_id"])

    def get_scope(self) -> str:
        return str(self.item["scope"])

    def get_expires_in(self) -> int:
        return max(0, int(self.item["expires_at"]) - self.now)

    def is_expired(self) -> bool:
        return int(self.item["expires_at"]) < self.now

    def is_revoked(self) -> bool:
        return bool(self.item.get("used"))


class DeviceRecord:
    def __init__(self, item: Item, now: int) -> None:
        self.item, self.now = item, now

    def get_client_id(self) -> str:
        return str(self.item["client_id"])

    def get_scope(self) -> str:
        return str(self.item["scope"])

    def get_user_code(self) -> str:
        return str(self.item["user_code"])

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None

    def is_expired(self) -> bool:
        return int(self.item["expires_at"]) < self.now


def query_client(deps: Deps, client_id: str | None, issuer: str) -> Client | None:
    from chalicelib.services import oidc_clients
    item = oidc_clients.load(deps, client_id) if client_id else None
    if item is None or item["status"] != rules.ACTIVE:
        return None
    if client_id == rules.CONSOLE_CLIENT:
        item = {**item, "redirect_uris": [rules.console_callback(issuer)]}
    return Client(item)


def save_code(deps: Deps, code: str, *, client_id: str, redirect_uri: str, scope: str,
              nonce: str | None, challenge: str | None, method: str | None,
              subject: Subject) -> None:
    now = deps.clock.now()
    pk, sk = keys.auth_code(credentials.digest(code))
    deps.table.put({"pk": pk, "sk": sk, "kind": "auth_code", "client_id": client_id,
                    "redirect_uri": redirect_uri, "scope": scope, "nonce": nonce,
                    "code_challenge": challenge, "code_challenge_method": method,
                    "account": subject.person["account"], "sid": subject.sid,
                    "auth_time": subject.auth_time, "amr": subject.amr, "used": False,
                    "expires_at": now + rules.CODE_SECONDS,
                    # kept past its life, so a late second use still revokes the family
                    "ttl": now + rules.REFRESH_SECONDS}, Condition(exists=False))
    if subject.sid:
        sso_sessions.used_with(deps, subject.sid, client_id)


def find_code(deps: Deps, code: str, client_id: str) -> CodeRecord | None:
    """A live, unused code of `client_id`. A used one is a replay: whatever it issued is
    revoked (RFC 6749 4.1.2) and the answer is None."""
    item = deps.table.get(*keys.auth_code(credentials.digest(code)))
    if item is None or item["client_id"] != client_id:
        return None
    if item.get("used"):
        if item.get("family"):
            sso_sessions.revoke_family(deps, item["family"], "code reused")
        return None
    if int(item["expires_at"]) < deps.clock.now():
        return None
    return CodeRecord(item)


def _family_put(deps: Deps, family: str, *, client_id: str, account: str,
                sid: str | None) -> Put:
    now = deps.clock.now()
    pk, sk = keys.token_family(family)
    return Put({"pk": pk, "sk": sk, "kind": "token_family", "family": family,
                "client_id": client_id, "account": account, "sid": sid,
                "status": rules.ACTIVE, "created_at": now,
                "expires_at": now + rules.REFRESH_SECONDS,
                "ttl": now + rules.REFRESH_SECONDS}, Condition(exists=False))


def redeem_code(deps: Deps, record: CodeRecord) -> tuple[Subject, str] | None:
    """Mark the code used and open its token family, in one transaction; None when
    another request redeemed it first (that one's tokens are then revoked as well)."""
    item, family = record.item, "f-" + deps.ids.new_id()
    person = people.load(deps, item["account"])
    if person is None or person["status"] != "active":
        return None
    try:
        deps.table.transact([
            Update(item["pk"], item["sk"], set={"used": True, "family": family},
                   condition=Condition(equals={"used": False})),
            _family_put(deps, family, client_id=item["client_id"], account=item["account"],
                        sid=item.get("sid"))])
    except TransactionConflictError:
        fresh = deps.table.get(item["pk"], item["sk"])
        if fresh and fresh.get("family"):
            sso_sessions.revoke_family(deps, fresh["family"], "code reused")
        return None
    if item.get("sid"):
        sso_sessions.used_with(deps, item["sid"], item["client_id"], family)
    return Subject(person, item.get("sid"), item.get("auth_time"), list(item.get("amr") or [])
                   ), family


def save_refresh(deps: Deps, token: str, *, family: str, client_id: str, account: str,
                 scope: str, sid: str | None) -> None:
    fam = deps.table.get(*keys.token_family(family))
    expires = int(fam["expires_at"]) if fam else deps.clock.now()
    pk, sk = keys.refresh_token(credentials.digest(token))
    deps.table.put({"pk": pk, "sk": sk, "kind": "refresh_token", "family": family,
                    "client_id": client_id, "account": account, "scope": scope, "sid": sid,
                    "used": False, "expires_at": expires, "ttl": expires},
                   Condition(exists=False))


def find_refresh(deps: Deps, token: str) -> RefreshRecord | None:
    """A live refresh token whose family stands; a used one revokes its family."""
    item = deps.table.get(*keys.refresh_token(credentials.digest(token)))
    if item is None:
        return None
    if item.get("used"):
        sso_sessions.revoke_family(deps, item["family"], "refresh token reused")
        return None
    if sso_sessions.family_revoked(deps, item["family"]):
        return None
    record = RefreshRecord(item, deps.clock.now())
    return None if record.is_expired() else record


def redeem_refresh(deps: Deps, record: RefreshRecord) -> Subject | None:
    item = record.item
    person = people.load(deps, item["account"])
    if person is None or person["status"] != "active":
        return None
    try:
        deps.table.update(Update(item["pk"], item["sk"], set={"used": True},
                                 condition=Condition(equals={"used": False})))
    except ConditionFailedError:
        sso_sessions.revoke_family(deps, item["family"], "refresh token reused")
        return None
    return Subject(person, item.get("sid"))


def revoke_refresh_family(deps: Deps, family: str) -> None:
    sso_sessions.revoke_family(deps, family, "revoked by the client")


def open_device_family(deps: Deps, *, client_id: str, account: str) -> str:
    family = "f-" + deps.ids.new_id()
    deps.table.put(_family_put(deps, family, client_id=client_id, account=account,
                               sid=None).item, Condition(exists=False))
    return family


def assertion_first_use(deps: Deps, client_id: str, jti: str, exp: int) -> bool:
    return replay.first_use(deps, keys.client_assertion(client_id, jti), "client_assertion",
                            ttl=exp + 60)


def claims_of(deps: Deps, subject: Subject, scope: str) -> dict[str, Any]:
    from chalicelib.services import units
    unit = units.get_unit(deps, subject.person["unit"])
    return rules.user_claims(subject.person, unit["name"] if unit else "", scope)
