"""Registry use cases needed by the exchange core: units, apps and their access keys.

(Joining workflows, re-organisation and the directory build on these in the registry
capability; here is what the exchange and the single-machine host need.)
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from chalicelib.domain import keys
from chalicelib.domain.algorithms import (
    ALGORITHMS,
    ASYMMETRIC,
    HMAC_SHA256,
    LEGACY_ONLY,
    public_key_pem,
)
from chalicelib.domain.errors import (
    ConditionFailedError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.domain.signatures import Caller, VerificationKey
from chalicelib.services import units
from chalicelib.services.auth_cache import Entry
from chalicelib.services.deps import Deps
from chalicelib.services.roles import APP, ROLES, require_operator

ACTIVE, RETIRING, REVOKED = "active", "retiring", "revoked"
USE_RECORD_SECONDS = 3600  # last_used_at is written at most once per hour per key


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown once: the hub keeps only the sealed secret (None for RSA keys)."""

    unit: str
    app: str
    access_key: str
    secret_key: str | None
    algorithm: str


def create_unit(deps: Deps, code: str, name: str, *, status: str = ACTIVE) -> Item:
    """Register a unit (see `services.units` for the whole unit model)."""
    return units.create_unit(deps, code, name, status=status)


def get_unit(deps: Deps, code: str) -> Item | None:
    return units.get_unit(deps, code)


def _key_item(deps: Deps, key_id: str, *, app_id: str, unit_code: str, algorithm: str,
              secret: str | None, public_key: str | None, legacy: bool) -> Item:
    """The access-key item: a sealed HMAC secret, or an RSA public key (never a private one)."""
    if algorithm not in ALGORITHMS:
        raise InvalidRequestError(f"Unknown algorithm {algorithm}; use one of "
                                  f"{', '.join(sorted(ALGORITHMS))}.", code="invalid_algorithm")
    if algorithm in LEGACY_ONLY and not legacy:
        raise InvalidRequestError(f"{algorithm} is allowed only for apps flagged legacy.",
                                  code="algorithm_not_allowed")
    pk, sk = keys.access_key(key_id)
    item: Item = {"pk": pk, "sk": sk, "kind": "access_key", "key_id": key_id, "app": app_id,
                  "unit": unit_code, "algorithm": algorithm, "status": ACTIVE,
                  "created_at": deps.clock.now(), "last_used_at": None}
    if algorithm in ASYMMETRIC:
        if not public_key:
            raise InvalidRequestError("An RSA key needs the app's public key (PEM or JWK).",
                                      code="invalid_public_key")
        item["public_key_pem"] = public_key_pem(public_key).decode()
    else:
        assert secret is not None
        item["secret_sealed"] = deps.sealer.seal(secret.encode(), key_id)
    return item


def new_key_id() -> str:
    return "AK" + secrets.token_hex(10).upper()


def new_key(deps: Deps, *, app_id: str, unit_code: str, algorithm: str,
            public_key: str | None, legacy: bool) -> tuple[IssuedCredentials, list[Put]]:
    """A new access key of an app: the credentials to show once, and the two puts (the key
    item and its `APP#`/`KEY#` link) to write in the caller's transaction."""
    key_id = new_key_id()
    secret = None if algorithm in ASYMMETRIC else secrets.token_urlsafe(32)
    item = _key_item(deps, key_id, app_id=app_id, unit_code=unit_code, algorithm=algorithm,
                     secret=secret, public_key=public_key, legacy=legacy)
    link_pk, link_sk = keys.app_key(app_id, key_id)
    link: Item = {"pk": link_pk, "sk": link_sk, "kind": "app_key", "key_id": key_id,
                  "app": app_id, "algorithm": algorithm, "status": ACTIVE,
                  "created_at": item["created_at"], "last_used_at": None}
    return (IssuedCredentials(unit_code, app_id, key_id, secret, algorithm),
            [Put(item, Condition(exists=False)), Put(link, Condition(exists=False))])


def app_ops(deps: Deps, unit_code: str, name: str, *, algorithm: str = HMAC_SHA256,
            public_key: str | None = None, legacy: bool = False, role: str = APP
            ) -> tuple[IssuedCredentials, Item, list[TransactOp]]:
    """A new app of a unit: the credentials to show once, the app item, and what to write
    (the app, its link under the unit, its first key and the key's link) in the caller's
    transaction. Checks the role, the algorithm and the public key; not the unit."""
    if role not in ROLES:
        raise InvalidRequestError(f"Role must be one of {', '.join(ROLES)}.",
                                  code="invalid_role")
    now = deps.clock.now()
    app_id = "app-" + deps.ids.new_id()
    issued, key_puts = new_key(deps, app_id=app_id, unit_code=unit_code, algorithm=algorithm,
                               public_key=public_key, legacy=legacy)
    app_pk, app_sk = keys.app(app_id)
    link_pk, link_sk = keys.unit_app(unit_code, app_id)
    app: Item = {"pk": app_pk, "sk": app_sk, "kind": "app", "app": app_id, "unit": unit_code,
                 "name": name, "status": ACTIVE, "legacy": legacy, "role": role,
                 "created_at": now}
    return issued, app, [
        Put(app, Condition(exists=False)),
        Put({"pk": link_pk, "sk": link_sk, "kind": "unit_app", "app": app_id, "name": name,
             "created_at": now}, Condition(exists=False)),
        *key_puts,
    ]


def create_app(deps: Deps, unit_code: str, name: str, *, algorithm: str = HMAC_SHA256,
               public_key: str | None = None, legacy: bool = False,
               role: str = APP) -> IssuedCredentials:
    """Register an app of a unit and issue its key pair (R-JOIN-2, R-JOIN-3).

    HMAC: the hub generates the secret and returns it once. RSA: the app keeps its private
    key and registers its public key. `legacy` allows HMAC-SHA1 (weak; old systems only).
    """
    if get_unit(deps, unit_code) is None:
        raise NotFoundError(f"Unit {unit_code} does not exist.", code="unknown_unit")
    issued, _, ops = app_ops(deps, unit_code, name, algorithm=algorithm,
                             public_key=public_key, legacy=legacy, role=role)
    deps.table.transact(ops)
    return issued


def has_receiving_app(deps: Deps, unit_code: str) -> bool:
    """Whether any active app of the unit can receive (R-PROP-9: a destination with none
    cannot be found on the network, and its source is told). A yes is kept per process
    for `LGSP_AUTH_CACHE_SECONDS` (`services/auth_cache.py`); a no is never kept."""
    now, seconds = deps.clock.now(), deps.settings.auth_cache_seconds
    if seconds > 0 and deps.auth_cache.receives(unit_code, now, seconds):
        return True
    found = _reads_receiving_app(deps, unit_code)
    if found and seconds > 0:
        deps.auth_cache.saw_receiver(unit_code, now)
    return found


def _reads_receiving_app(deps: Deps, unit_code: str) -> bool:
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.unit_partition(unit_code), prefix=keys.UNIT_APPS,
                                limit=50, cursor=cursor)
        for link in page.items:
            app = deps.table.get(*keys.app(link["app"]))
            if app is not None and app["status"] == ACTIVE:
                return True
        cursor = page.cursor
        if cursor is None:
            return False


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
        unit = get_unit(deps, item["unit"])
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


def set_legacy(deps: Deps, caller: Caller, app_id: str, legacy: bool) -> Item:
    """An operator flags an app legacy (allowing HMAC-SHA1 keys) or clears the flag; with
    the flag cleared, the app's HMAC-SHA1 keys stop working at once."""
    require_operator(deps, caller)
    if not app_id.startswith("app-") or not app_id[4:].isalnum():
        raise NotFoundError("No such app.", code="app_not_found")
    try:
        changed = deps.table.update(Update(*keys.app(app_id), set={"legacy": legacy},
                                           condition=Condition(exists=True)))
    except ConditionFailedError as exc:
        raise NotFoundError("No such app.", code="app_not_found") from exc
    deps.auth_cache.forget()
    return changed
