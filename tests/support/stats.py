"""Reading a unit's counters in tests."""

from __future__ import annotations

from chalicelib.domain.times import province_day
from chalicelib.services import counters
from chalicelib.services.deps import Deps


def day_counters(deps: Deps, unit: str) -> dict[str, int]:
    """The unit's counters of the current province day."""
    return counters.day_counters(deps, unit, province_day(deps.clock.now()))
