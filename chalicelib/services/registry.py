"""Registry use cases needed by the exchange core: units, apps and their access keys.

(Joining workflows, re-organisation and the directory build on these in the registry
capability; here is what the exchange and the single-machine host need.)
"""

from __future__ import annotations

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
from chalicelib.domain.errors import ConditionFailedError, InvalidRequestError, NotFoundError
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.services import units
from chalicelib.services.deps import Deps
from chalicelib.services.keys_lookup import (
    ACTIVE,
    RETIRING,
    REVOKED,
    USE_RECORD_SECONDS,
    find_verification_key,
    key_usable,
    load_key,
    record_key_use,
)
from chalicelib.services.roles import APP, ROLES, require_operator

# Authentication's key lookup lives in keys_lookup (a cold start imports it without the
# registry); it is re-exported here for the callers that name it through the registry.
__all__ = ["ACTIVE", "RETIRING", "REVOKED", "USE_RECORD_SECONDS", "IssuedCredentials",
           "app_ops", "create_app", "create_unit", "find_verification_key", "get_unit",
           "has_receiving_app", "key_usable", "load_key", "new_key", "new_key_id",
           "record_key_use", "set_legacy"]


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
