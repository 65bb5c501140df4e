"""Taking, renewing and giving up a lease in the table (`domain/leases.py`)."""

from __future__ import annotations

from chalicelib.domain import keys, leases
from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.leases import Lease
from chalicelib.services.deps import Deps


def current(deps: Deps, name: str) -> Lease | None:
    return leases.read(deps.table.get(*keys.lease(name)), name)


def hold(deps: Deps, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease `name` for `seconds`; True if `holder` holds it now."""
    now = deps.clock.now()
    was = current(deps, name)
    if not leases.may_take(was, holder, now):
        return False
    lease = leases.taken(was, name, holder, now, seconds)
    pk, sk = keys.lease(name)
    try:
        deps.table.put({"pk": pk, "sk": sk, **leases.attributes(lease)}, leases.as_of(was))
    except ConditionFailedError:  # another candidate wrote first
        return False
    return True


def release(deps: Deps, name: str, holder: str) -> bool:
    """Give the lease up at once (a host stopping), so another takes it at its next try
    rather than after it runs out; True if `holder` held it."""
    was = current(deps, name)
    if was is None or was.holder != holder:
        return False
    try:
        deps.table.delete(*keys.lease(name), condition=leases.as_of(was))
    except ConditionFailedError:
        return False
    return True
