"""The device flow (RFC 8628) for the `lgsp` CLI: a code the person confirms in a
browser where they are signed in, while the CLI polls. All state is in the table."""

from __future__ import annotations

from chalicelib.adapters import credentials
from chalicelib.domain import keys, oidc as rules
from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.ports import Condition, Item, Put, Update
from chalicelib.services.deps import Deps

PENDING, APPROVED, DENIED, CONSUMED = "pending", "approved", "denied", "consumed"


def normalise(user_code: str) -> str:
    """What the person typed, as stored: upper case, without spaces or dashes."""
    return "".join(c for c in user_code.upper() if c.isalnum())[:16]


def save(deps: Deps, *, client_id: str, scope: str, device_code: str, user_code: str) -> None:
    now = deps.clock.now()
    expires = now + rules.DEVICE_SECONDS
    digest = credentials.digest(device_code)
    pk, sk = keys.device_code(digest)
    upk, usk = keys.user_code(normalise(user_code))
    deps.table.transact([
        Put({"pk": pk, "sk": sk, "kind": "device_code", "client_id": client_id,
             "scope": scope, "user_code": normalise(user_code), "state": PENDING,
             "last_poll": 0, "expires_at": expires, "ttl": expires},
            Condition(exists=False)),
        Put({"pk": upk, "sk": usk, "kind": "user_code", "device": digest,
             "expires_at": expires, "ttl": expires}, Condition(exists=False))])


def find(deps: Deps, device_code: str) -> Item | None:
    return deps.table.get(*keys.device_code(credentials.digest(device_code)))


def by_user_code(deps: Deps, user_code: str) -> Item | None:
    """The pending device request a typed user code names, or None."""
    link = deps.table.get(*keys.user_code(normalise(user_code)))
    if link is None or int(link["expires_at"]) < deps.clock.now():
        return None
    item = deps.table.get(*keys.device_code(link["device"]))
    return item if item is not None and item["state"] == PENDING else None


def decide(deps: Deps, item: Item, *, account: str, approve: bool) -> bool:
    """The signed-in person approves (or denies) the device; once."""
    try:
        deps.table.update(Update(item["pk"], item["sk"], set={
            "state": APPROVED if approve else DENIED, "account": account,
            "decided_at": deps.clock.now()}, condition=Condition(equals={"state": PENDING})))
    except ConditionFailedError:
        return False
    return True


def polled_too_soon(deps: Deps, item: Item) -> bool:
    """Whether this poll came before the interval (RFC 8628 `slow_down`); records it."""
    now = deps.clock.now()
    too_soon = now - int(item.get("last_poll") or 0) < rules.DEVICE_INTERVAL
    deps.table.update(Update(item["pk"], item["sk"], set={"last_poll": now}))
    return too_soon


def consume(deps: Deps, item: Item) -> bool:
    """An approved device code gives tokens once."""
    try:
        deps.table.update(Update(item["pk"], item["sk"], set={"state": CONSUMED},
                                 condition=Condition(equals={"state": APPROVED})))
    except ConditionFailedError:
        return False
    return True
