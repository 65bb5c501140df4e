"""Things accepted once: a mark per use (a TOTP time step, a client assertion's jti),
written only if absent and kept while a replay could still be tried."""

from __future__ import annotations

from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.ports import Condition
from chalicelib.services.deps import Deps


def first_use(deps: Deps, key: tuple[str, str], kind: str, *, ttl: int) -> bool:
    """True the first time `key` is used; False for every use after it."""
    pk, sk = key
    try:
        deps.table.put({"pk": pk, "sk": sk, "kind": kind, "ttl": ttl}, Condition(exists=False))
    except ConditionFailedError:
        return False
    return True
