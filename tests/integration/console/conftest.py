"""What every console test stands on: a hub with an operator unit (the IT department),
reached at the public URL the SSO issues for, and the people who sign in to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_reports import a_month_of_traffic
from tests.support.console import OPERATOR, Person, console_overrides, sign_in, with_operator_unit
from tests.support.hub import UNIT_A, World


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return console_overrides()


@pytest.fixture
def world(hub: World) -> Iterator[World]:
    yield from with_operator_unit(hub)


@pytest.fixture
def traffic(world: World) -> World:
    """A month of exchanges between the units (tests/integration/test_reports.py)."""
    a_month_of_traffic(world)
    return world


@pytest.fixture
def operator(world: World) -> Person:
    return sign_in(world, OPERATOR, "vanhanh", ["operator"])


@pytest.fixture
def admin_a(world: World) -> Person:
    return sign_in(world, UNIT_A, "quantri", ["unit_admin"])
