"""Leases: one holder at a time for work that several host processes could each do, such
as the sweeper (R-PROP-6). A lease is an item naming its holder and the time until which
it holds; a holder renews it well before then, and when the holder's process dies the
lease runs out and another takes it. Taking and renewing are compare-and-swap writes on
the item as it was read (`services/leases.py`), so two candidates never both win.

A lease only saves work: everything the sweeper does is safe to do twice (conditional
writes), so a holder whose clock or network misleads it for a moment costs a duplicated
sweep, never a wrong one. Hosts' clocks are assumed within a few seconds of each other
(NTP), as for every deadline of the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ports import Condition, Item


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    until: int  # epoch seconds: the lease holds while now < until
    since: int  # when this holder took it

    def held_by(self, holder: str, now: int) -> bool:
        return self.holder == holder and now < self.until


def read(item: Item | None, name: str) -> Lease | None:
    if item is None:
        return None
    return Lease(name, str(item["holder"]), int(item["until"]), int(item["since"]))


def may_take(current: Lease | None, holder: str, now: int) -> bool:
    """A candidate may take (or renew) a lease that nobody holds, that ran out, or that
    it holds itself."""
    return current is None or current.holder == holder or now >= current.until


def taken(current: Lease | None, name: str, holder: str, now: int, seconds: int) -> Lease:
    """The lease after `holder` takes or renews it at `now` for `seconds`."""
    since = current.since if current is not None and current.holder == holder else now
    return Lease(name, holder, now + seconds, since)


def as_of(current: Lease | None) -> Condition:
    """The write condition: the lease is still as it was read."""
    if current is None:
        return Condition(exists=False)
    return Condition(equals={"holder": current.holder, "until": current.until})


def attributes(lease: Lease) -> dict[str, Any]:
    return {"holder": lease.holder, "until": lease.until, "since": lease.since}
