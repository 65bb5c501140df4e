"""Rotating the master keys without downtime (R-COMP-4: secrets encrypted at rest).

A rotation adds a new key to the keyring and makes it current (new secrets are sealed
under it at once: a seal reads the keyring), re-seals every sealed secret under it, waits
until nothing in flight can still seal under the old key, re-seals what did meanwhile, and
only then drops the old keys. Running functions open under both keys all along: an
envelope naming a key their cached keyring lacks makes them read it again.

Every sealed secret is reached without a scan: access keys through `UNITS` ->
`UNIT#{code}` / `APP#…` -> `APP#{app}` / `KEY#…` -> `KEY#{id}` / `META`, the hub's
signing keys in `HUBKEY`. Each re-seal is a conditional write on the sealed value read,
setting that attribute only, so a change an app makes to its key meanwhile (a key
rotation, a revocation, a last use) is never lost. One rotation at a time: a lease item
`MASTERKEY` / `ROTATION`.
"""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from chalicelib.domain import keys
from chalicelib.domain.errors import ConditionFailedError, ConflictError
from chalicelib.domain.master_keys import Keyring, new_key_id
from chalicelib.domain.ports import Condition, Item, KeyringStore, Update
from chalicelib.domain.times import iso
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

LEASE_SECONDS = 3600
NO_KEY_ID = "v1"  # how `status` counts envelopes sealed before key ids
RESEAL_ATTEMPTS = 5


@dataclass(frozen=True)
class Sealed:
    """One sealed secret: its item, the attribute holding it, the context it is bound to."""

    item: Item
    attribute: str
    context: str


@dataclass
class RotationReport:
    key_id: str
    resealed: int = 0
    retired: list[str] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)


def sealed_secrets(deps: Deps) -> Iterator[Sealed]:
    """Every sealed secret of the table, one item at a time."""
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.DIRECTORY, limit=200, cursor=cursor)
        for entry in page.items:
            for link in every_item(deps, keys.unit_partition(entry["code"]), prefix=keys.UNIT_APPS):
                for key_link in every_item(deps, keys.app_partition(link["app"]),
                                           prefix=keys.APP_KEYS):
                    item = deps.table.get(*keys.access_key(key_link["key_id"]))
                    if item is not None and "secret_sealed" in item:
                        yield Sealed(item, "secret_sealed", item["key_id"])
            for link in every_item(deps, keys.unit_partition(entry["code"]),
                                   prefix=keys.UNIT_PEOPLE):
                person = deps.table.get(*keys.person(link["account"]))
                if person is not None and person.get("totp_sealed"):
                    yield Sealed(person, "totp_sealed", f"totp:{person['account']}")
        cursor = page.cursor
        if cursor is None:
            break
    for item in every_item(deps, keys.HUBKEY, prefix=keys.HUB_KIDS):
        if "private_sealed" in item:
            yield Sealed(item, "private_sealed", item["kid"])
    sso_secret = deps.table.get(*keys.SSO_SECRET)
    if sso_secret is not None:
        yield Sealed(sso_secret, "sealed", "sso-csrf")


def count_by_key(deps: Deps) -> dict[str, int]:
    """How many secrets each master key sealed (`v1`: envelopes that name none)."""
    found = Counter(deps.sealer.key_id_of(s.item[s.attribute]) or NO_KEY_ID
                    for s in sealed_secrets(deps))
    return dict(sorted(found.items()))


def _reseal(deps: Deps, sealed: Sealed, key_id: str) -> bool:
    """Seal one secret again under `key_id`; False if it already was (or is gone)."""
    item = sealed.item
    for _ in range(RESEAL_ATTEMPTS):
        value = item[sealed.attribute]
        fresh = deps.sealer.reseal(value, sealed.context, key_id)
        if fresh is None:
            return False
        try:
            deps.table.update(Update(item["pk"], item["sk"], set={sealed.attribute: fresh},
                                     condition=Condition(equals={sealed.attribute: value})))
            return True
        except ConditionFailedError:
            found = deps.table.get(item["pk"], item["sk"])
            if found is None or sealed.attribute not in found:
                return False
            item = found
    raise ConflictError(f"{item['pk']} kept changing while it was re-sealed; run the "
                        f"command again.", code="conflict")


def reseal_all(deps: Deps, key_id: str) -> int:
    """Re-seal every secret not yet under `key_id`; how many were."""
    return sum(_reseal(deps, sealed, key_id) for sealed in sealed_secrets(deps))


def acquire(deps: Deps, holder: str) -> Item:
    """Take the rotation lease, or refuse while another rotation holds it."""
    now = deps.clock.now()
    pk, sk = keys.MASTER_KEY_ROTATION
    lease = {"pk": pk, "sk": sk, "kind": "master_key_rotation", "holder": holder,
             "since": now, "until": now + LEASE_SECONDS}
    held = deps.table.get(pk, sk)
    if held is not None and int(held["until"]) > now:
        raise ConflictError(f"Another master key rotation ({held['holder']}) is under way "
                            f"since {iso(int(held['since']))}; if it died, its lease ends at "
                            f"{iso(int(held['until']))}.", code="rotation_in_progress")
    try:
        deps.table.put(lease, Condition(exists=False) if held is None
                       else Condition(equals={"until": held["until"]}))
    except ConditionFailedError as exc:
        raise ConflictError("Another master key rotation has just started.",
                            code="rotation_in_progress") from exc
    return lease


def release(deps: Deps, lease: Item) -> None:
    try:
        deps.table.delete(lease["pk"], lease["sk"],
                          Condition(equals={"since": lease["since"], "holder": lease["holder"]}))
    except ConditionFailedError:
        return  # the lease had ended and another rotation took it


def add_key(deps: Deps, store: KeyringStore, *, current: bool) -> str:
    """A new random key in the keyring (current at once, or only known for now)."""
    ring = store.load()
    key_id = new_key_id(deps.clock.now(), secrets.token_hex(2))
    material = base64.b64encode(secrets.token_bytes(32)).decode()
    store.save(ring.with_key(key_id, material, current=current))
    return key_id


def retire_old_keys(deps: Deps, store: KeyringStore) -> list[str]:
    """Re-seal what is not yet under the current key, check nothing is left under another
    key, then keep only the current key. Returns the ids dropped."""
    ring = store.load()
    reseal_all(deps, ring.current)
    left = {k: n for k, n in count_by_key(deps).items() if k != ring.current}
    if left:
        raise ConflictError(f"Secrets are still sealed under {left}; run the command again.",
                            code="conflict")
    store.save(ring.only_current())
    return [k for k in ring.ids if k != ring.current]


def rotate(deps: Deps, store: KeyringStore, *, to: str | None = None, retire: bool = True,
           settle: Callable[[], None] = lambda: None) -> RotationReport:
    """Make a new key (or key `to`, added earlier) current and re-seal everything under
    it; with `retire`, call `settle` (wait until no request can still be sealing under the
    old key) and drop the old keys."""
    ring: Keyring = store.load()
    if to is None:
        key_id = add_key(deps, store, current=True)
    else:
        store.save(ring.with_current(to))
        key_id = to
    report = RotationReport(key_id, resealed=reseal_all(deps, key_id))
    if retire:
        settle()
        report.retired = retire_old_keys(deps, store)
    report.by_key = count_by_key(deps)
    return report
