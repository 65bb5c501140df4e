"""The access keys as authentication reads them (R-COMP-4): the key the signature
verifier needs, whether a key may still sign, and the hourly stamp of its use.

Kept apart from `services/registry.py` (which re-exports these names) so that the first
signed call of a cold function imports only what authenticating needs, not the registry's
use cases and their wire models (P5b, docs/performance.md).
"""

from __future__ import annotations

import contextlib

from chalicelib.domain import keys
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.domain.signatures import VerificationKey
from chalicelib.services.auth_cache import Entry
from chalicelib.services.deps import Deps

ACTIVE, RETIRING, REVOKED = "active", "retiring", "revoked"
USE_RECORD_SECONDS = 3600  # last_used_at is written at most once per hour per key


def key_usable(item: Item, now: int) -> bool:
    """An active key, or a retiring one still inside its overlap (`now < valid_until`)."""
    status = item.get("status")
    return status == ACTIVE or (status == RETIRING and now < int(item.get("valid_until") or 0))


def load_key(deps: Deps, key_id: str) -> tuple[VerificationKey, Item] | None:
    """The key the signature verifier needs (secret opened in memory only) and its item,
    from the process's cache when it was read less than `LGSP_AUTH_CACHE_SECONDS` ago
    (`services/auth_cache.py`: the bound on a revocation elsewhere)."""
    if not key_id.isalnum() or len(key_id) > 64:
        return None
    now, seconds = deps.clock.now(), deps.settings.auth_cache_seconds
    entry = deps.auth_cache.get(key_id, now, seconds) if seconds > 0 else None
    if entry is None:
        item = deps.table.get(*keys.access_key(key_id))
        if item is None:
            return None
        unit = deps.table.get(*keys.unit(item["unit"]))
        app = deps.table.get(*keys.app(item["app"]))
        material = (item["public_key_pem"].encode() if "public_key_pem" in item
                    else deps.sealer.open(item["secret_sealed"], key_id))
        entry = Entry(now, item, unit, app, material)
        if seconds > 0:
            deps.auth_cache.put(key_id, entry)
    item, unit, app = entry.item, entry.unit, entry.app
    active = (key_usable(item, now) and unit is not None and unit["status"] == ACTIVE
              and app is not None and app["status"] == ACTIVE)
    return VerificationKey(key_id=key_id, algorithm=item["algorithm"],
                           material=entry.material, unit=item["unit"], app=item["app"],
                           active=active, legacy=bool(app and app.get("legacy"))), item


def find_verification_key(deps: Deps, key_id: str) -> VerificationKey | None:
    """The key the signature verifier needs; `active=False` once revoked, or retiring past
    its `valid_until`, or when its app or unit is not active."""
    found = load_key(deps, key_id)
    return found[0] if found else None


def record_key_use(deps: Deps, item: Item) -> None:
    """Stamp `last_used_at` on a key (and its app link) at most once per hour: a conditional
    write on the value read, so concurrent calls write once; losing the race is fine."""
    now, last = deps.clock.now(), item.get("last_used_at")
    if last is not None and now - int(last) < USE_RECORD_SECONDS:
        return
    cond = (Condition(equals={"last_used_at": last}) if "last_used_at" in item
            else Condition(exists=True))
    with contextlib.suppress(TransactionConflictError, ConditionFailedError):  # another did
        deps.table.transact([
            Update(*keys.access_key(item["key_id"]), set={"last_used_at": now}, condition=cond),
            Update(*keys.app_key(item["app"], item["key_id"]), set={"last_used_at": now},
                   condition=Condition(exists=True)),
        ])
    deps.auth_cache.stamped(item["key_id"], now)  # one stamp an hour, not one a call
