"""What every hub-to-hub test stands on (issue 15, R-PROP-10): hub A (the World, at
`A_URL`, with an operator unit) and hub B (its own table, at `B_URL`), registered with
each other (tests/support/peers.py, `two_hubs`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fakes import FakeClock
from tests.support.hub import World
from tests.support.peers import A_URL, OPERATOR, TwoHubs, two_hubs


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR, "public_url": A_URL}


@pytest.fixture
def pair(hub: World, clock: FakeClock) -> TwoHubs:
    return two_hubs(hub, clock)
