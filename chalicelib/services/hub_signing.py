"""The hub's token-signing keys: created on first use, rotatable, published as a JWKS.

Items live in the one partition `HUBKEY` (listing is a query); the private part is sealed
with the hub's sealer, bound to the key id. A rotated-out key stops signing at once but
stays published until every token it signed has expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import hub_keys
from chalicelib.domain import keys
from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

CURRENT, RETIRED = "current", "retired"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes


def _all_keys(deps: Deps) -> list[Item]:
    """Every hub key item, newest first (kids are time-ordered ids)."""
    return every_item(deps, keys.HUBKEY, prefix=keys.HUB_KIDS, descending=True)


def _create(deps: Deps) -> tuple[SigningKey, Item]:
    kid = "hk-" + deps.ids.new_id()
    pem = hub_keys.generate_private_pem()
    pk, sk = keys.hub_key(kid)
    item: Item = {"pk": pk, "sk": sk, "kind": "hub_key", "kid": kid, "status": CURRENT,
                  "created_at": deps.clock.now(), "jwk": hub_keys.public_jwk(pem, kid),
                  "private_sealed": deps.sealer.seal(pem, kid)}
    deps.table.put(item, Condition(exists=False))
    return SigningKey(kid, pem), item


def current_key(deps: Deps) -> SigningKey:
    """The newest current key; one is generated on first use."""
    for item in _all_keys(deps):
        if item["status"] == CURRENT:
            return SigningKey(item["kid"], deps.sealer.open(item["private_sealed"], item["kid"]))
    return _create(deps)[0]


def published_key(deps: Deps, kid: str) -> SigningKey | None:
    """The private key of a published hub key (what a peer pinned to it verifies), or
    None once it is no longer published."""
    item = _published_item(deps, kid)
    return SigningKey(kid, deps.sealer.open(item["private_sealed"], kid)) if item else None


def rotate_signing_key(deps: Deps) -> str:
    """Sign with a new key from now on; older keys stay published for one token lifetime."""
    new, _ = _create(deps)
    publish_until = deps.clock.now() + deps.settings.session_seconds
    for item in _all_keys(deps):
        if item["kid"] != new.kid and item["status"] == CURRENT:
            try:
                deps.table.update(Update(item["pk"], item["sk"], set={
                    "status": RETIRED, "publish_until": publish_until},
                    condition=Condition(equals={"status": CURRENT})))
            except ConditionFailedError:
                continue
    return new.kid


def _published(item: Item, now: int) -> bool:
    return item["status"] == CURRENT or now <= int(item.get("publish_until") or 0)


def jwks(deps: Deps) -> list[dict[str, Any]]:
    """The public keys that may have signed a token still valid (newest first); the
    first key is generated here if none exists yet."""
    now, items = deps.clock.now(), _all_keys(deps)
    if not items:
        items = [_create(deps)[1]]
    return [dict(item["jwk"]) for item in items if _published(item, now)]


def _published_item(deps: Deps, kid: str) -> Item | None:
    if not kid.replace("-", "").isalnum() or len(kid) > 80:
        return None
    item = deps.table.get(*keys.hub_key(kid))
    return item if item is not None and _published(item, deps.clock.now()) else None


def find_jwk(deps: Deps, kid: str) -> dict[str, Any] | None:
    """The public JWK of a published hub key, or None."""
    item = _published_item(deps, kid)
    return dict(item["jwk"]) if item else None
