"""The registry's console pages (R-JOIN-1, R-JOIN-5, R-OPS-3, R-PROP-11;
docs/console-registry.md): units, import, re-organisation, apps and keys, people. Each
page calls the services with the signed-in person, so who may see and change what is
the services' rule; these tests check the pages keep to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services import units
from tests.support.console import OPERATOR, Person, console_overrides, sign_in, with_operator_unit
from tests.support.hub import UNIT_A, UNIT_B, World

XSS = "<script>alert(1)</script>"


def main(page: Any) -> str:
    """The page's own content (not the header naming who is signed in)."""
    return str(page.text).split('<main id="main">')[1]


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return console_overrides()


@pytest.fixture
def world(hub: World) -> Iterator[World]:
    yield from with_operator_unit(hub)


@pytest.fixture
def operator(world: World) -> Person:
    return sign_in(world, OPERATOR, "vanhanh", ["operator"])


@pytest.fixture
def admin_a(world: World) -> Person:
    return sign_in(world, UNIT_A, "quantri", ["unit_admin"])


# --- Units ---------------------------------------------------------------------------

def test_units_are_listed_and_searched_without_accents(world: World, operator: Person
                                                       ) -> None:
    units.create_unit(world.deps, "000.01.31.H99", "Sở Tài chính")
    units.create_unit(world.deps, "000.02.31.H99", "Sở Y tế", status="suspended")
    page = operator.get("/console/units")
    assert page.status == 200
    assert "<title>Đơn vị của tỉnh · Bảng điều khiển · LGSP</title>" in page.text
    assert "Sở Tài chính" in page.text and UNIT_A in page.text
    found = operator.get("/console/units?q=so+tai+ch")
    assert "Sở Tài chính" in found.text and "Sở Y tế" not in found.text
    suspended = operator.get("/console/units?status=suspended")
    assert "Sở Y tế" in suspended.text and "Sở Tài chính" not in suspended.text
    english = operator.get("/console/units?lang=en")
    assert "The province&#39;s units" in english.text and "Suspended" in english.text


def test_a_unit_shows_its_facts_apps_people_and_history(world: World, operator: Person
                                                        ) -> None:
    sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    units.update_unit(world.deps, UNIT_A, {"short_name": "Đơn vị A"}, actor="vanhanh@op")
    page = operator.get(f"/console/units/{UNIT_A}")
    assert page.status == 200, page.text[:300]
    assert 'id="unit-code">000.00.01.H99<' in page.text
    assert "quantri@" in page.text  # the person made above
    assert "Đăng ký đơn vị" in page.text  # the history's first line
    assert "Sửa thông tin" in page.text and "vanhanh@op" in page.text  # who did what
    assert "short_name: Đơn vị A" in page.text


def test_an_unknown_or_malformed_unit_is_a_clear_error_page(operator: Person) -> None:
    missing = operator.get("/console/units/000.00.77.H99")
    assert missing.status == 404 and "unknown_unit" in missing.text
    bad = operator.get("/console/units/nonsense")
    assert bad.status == 400 and "invalid_unit_code" in bad.text


def test_unit_pages_are_for_operators_only(world: World, admin_a: Person) -> None:
    listed = admin_a.get("/console/units")
    assert listed.status == 403 and UNIT_B not in listed.text
    own = admin_a.get(f"/console/units/{UNIT_A}")
    assert own.status == 403 and UNIT_A not in main(own)
    assert "/console/units" not in admin_a.home.text  # not in their menu


def test_a_unit_name_with_markup_is_shown_as_text(world: World, operator: Person) -> None:
    units.create_unit(world.deps, "000.03.31.H99", XSS)
    listed = operator.get("/console/units")
    detail = operator.get("/console/units/000.03.31.H99")
    for page in (listed, detail):
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_the_units_are_in_the_operators_menu(operator: Person) -> None:
    assert '/console/units">Đơn vị</a>' in operator.home.text
