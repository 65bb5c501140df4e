"""The check after each delivery that a destination has an app to receive (R-PROP-9)
costs no table request on a warm process for a unit known to have one (issue 17, P4):
the yes is kept per process for `LGSP_AUTH_CACHE_SECONDS`, like the keys
(`services/auth_cache.py`). An app cancelled on another host delays telling the source by
at most that bound, and not at all on the host that cancelled it; a unit without an app
is read every time, so an app registered since is seen at once."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.domain.ports import Event, Update
from chalicelib.services import registry
from chalicelib.services.deps import Deps
from tests.integration.test_events import recorded
from tests.integration.test_exchange_flow import send
from tests.integration.test_join_requests import LETTER, approved, filed, make_people
from tests.support.hub import UNIT_B, World, on

BOUND = 5  # the default LGSP_AUTH_CACHE_SECONDS
UNIT_D = "000.00.04.H99"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": "000.00.30.H99"}



class AppReads:
    """Counts the table's reads of a unit's app links and of its apps."""

    def __init__(self, deps: Deps, unit: str) -> None:
        self.count = 0
        get, query = deps.table.get, deps.table.query

        def counted_get(pk: str, sk: str) -> Any:
            item = get(pk, sk)
            self.count += pk.startswith("APP#") and item is not None and item["unit"] == unit
            return item

        def counted_query(pk: str, **kw: Any) -> Any:
            self.count += pk == keys.unit_partition(unit) and kw.get("prefix") == keys.UNIT_APPS
            return query(pk, **kw)
        deps.table.get = counted_get  # type: ignore[method-assign]
        deps.table.query = counted_query  # type: ignore[method-assign]


def no_app(seen: list[Event], unit: str) -> int:
    """How often a source was told that `unit` has no app to receive."""
    return sum(1 for e in seen if e.type == "message.undeliverable"
               and e.data.get("destination") == unit
               and e.data.get("reason") == "no_receiving_app")


def cancel_elsewhere(hub: World, app_id: str) -> None:
    """Cancel an app by writing the table, as another host would."""
    hub.deps.table.update(Update(*keys.app(app_id), set={"status": "cancelled"}))


def test_a_warm_process_reads_a_units_apps_once_within_the_bound(hub: World) -> None:
    send(hub, os.urandom(64), [UNIT_B])  # read and kept
    reads = AppReads(hub.deps, UNIT_B)
    send(hub, os.urandom(64), [UNIT_B])
    send(hub, os.urandom(64), [UNIT_B])
    assert reads.count == 0
    hub.deps.clock.advance(BOUND)
    send(hub, os.urandom(64), [UNIT_B])
    assert reads.count == 2  # its app links and its app, read again after the bound


def test_an_app_cancelled_elsewhere_is_seen_within_the_bound(
        hub: World, other_host: Deps) -> None:
    seen = recorded(hub)
    on(other_host)
    send(hub, os.urandom(64), [UNIT_B])  # the other host keeps "B has an app"
    cancel_elsewhere(hub, hub.b.creds.app)
    hub.deps.clock.advance(BOUND - 1)
    send(hub, os.urandom(64), [UNIT_B])
    assert no_app(seen, UNIT_B) == 0  # there: not yet, for at most the bound
    hub.deps.clock.advance(1)
    send(hub, os.urandom(64), [UNIT_B])
    assert no_app(seen, UNIT_B) == 1


def test_an_app_cancelled_on_this_host_is_seen_at_once(hub: World) -> None:
    people = make_people(hub)
    registry.create_unit(hub.deps, UNIT_D, "Sở Tư pháp")
    admin_d = hub.as_(registry.create_app(hub.deps, UNIT_D, "admin", role="unit_admin"))
    seen = recorded(hub)
    send(hub, os.urandom(64), [UNIT_D])  # its only app is its admin's: kept
    request = filed(admin_d, "cancel_app", {**LETTER, "app_id": admin_d.creds.app,
                                            "reason": "Ngưng sử dụng"})
    approved(people, request["id"])
    assert no_app(seen, UNIT_D) == 0
    send(hub, os.urandom(64), [UNIT_D])
    assert no_app(seen, UNIT_D) == 1


def test_a_unit_without_an_app_is_read_every_time(hub: World) -> None:
    registry.create_unit(hub.deps, UNIT_D, "Sở Tư pháp")
    seen = recorded(hub)
    send(hub, os.urandom(64), [UNIT_D])
    assert no_app(seen, UNIT_D) == 1
    reads = AppReads(hub.deps, UNIT_D)
    registry.create_app(hub.deps, UNIT_D, "app")  # registered: seen at once
    send(hub, os.urandom(64), [UNIT_D])
    assert no_app(seen, UNIT_D) == 1 and reads.count == 2


def test_no_cache_reads_every_time(hub: World) -> None:
    bare = replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"auth_cache_seconds": 0}))
    on(bare)
    reads = AppReads(bare, UNIT_B)
    send(hub, os.urandom(64), [UNIT_B])
    send(hub, os.urandom(64), [UNIT_B])
    assert reads.count == 4
    on(hub.deps)
