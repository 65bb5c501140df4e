"""The sweeper's lease (R-PROP-6: several host processes as one hub, one sweeper at a
time): one holder, renewals, running out, giving up, and candidates racing on a real
PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.domain.ports import Table
from chalicelib.services import leases
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.hub import World, make_deps

LEASE, A, B = "sweeper", "host-a:8000:11", "host-b:8000:12"


@pytest.fixture
def deps(hub: World) -> Deps:
    return hub.deps


def test_the_first_candidate_holds_and_the_second_does_not(deps: Deps) -> None:
    assert leases.hold(deps, LEASE, A, 30)
    assert not leases.hold(deps, LEASE, B, 30)
    held = leases.current(deps, LEASE)
    assert held is not None and held.holder == A
    assert held.until == deps.clock.now() + 30


def test_a_holder_renews_and_keeps_its_start(deps: Deps, clock: FakeClock) -> None:
    assert leases.hold(deps, LEASE, A, 30)
    since = deps.clock.now()
    clock.advance(10)
    assert leases.hold(deps, LEASE, A, 30)
    held = leases.current(deps, LEASE)
    assert held is not None and (held.since, held.until) == (since, since + 40)
    clock.advance(29)  # within the renewed lease: still A's
    assert not leases.hold(deps, LEASE, B, 30)


def test_a_lease_not_renewed_runs_out_and_another_takes_it(deps: Deps,
                                                            clock: FakeClock) -> None:
    assert leases.hold(deps, LEASE, A, 30)
    clock.advance(29)
    assert not leases.hold(deps, LEASE, B, 30)
    clock.advance(1)  # A died 30 s ago
    assert leases.hold(deps, LEASE, B, 30)
    assert not leases.hold(deps, LEASE, A, 30)  # A coming back waits its turn
    held = leases.current(deps, LEASE)
    assert held is not None and held.holder == B and held.since == deps.clock.now()


def test_a_holder_that_gives_up_lets_the_next_take_it_at_once(deps: Deps) -> None:
    assert leases.hold(deps, LEASE, A, 30)
    assert not leases.release(deps, LEASE, B)  # only the holder gives it up
    assert leases.release(deps, LEASE, A)
    assert leases.current(deps, LEASE) is None
    assert leases.hold(deps, LEASE, B, 30)


@pytest.fixture
def postgres_table(postgres_database: str) -> Iterator[Table]:
    from chalicelib.adapters.table_postgres import PostgresTable
    table = PostgresTable(postgres_database)
    yield table
    table.close()


def test_candidates_racing_on_postgresql_make_exactly_one_holder(
        postgres_table: Table, s3_store: S3ObjectStore) -> None:
    clock = FakeClock()
    deps = make_deps(postgres_table, s3_store, clock)
    for _ in range(5):  # five rounds: each lease ran out before the next
        barrier, won = threading.Barrier(8), []

        def candidate(n: int, barrier: threading.Barrier, won: list[int]) -> None:
            barrier.wait()
            if leases.hold(deps, LEASE, f"host-{n}", 30):
                won.append(n)

        threads = [threading.Thread(target=candidate, args=(n, barrier, won))
                   for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1
        held = leases.current(deps, LEASE)
        assert held is not None and held.holder == f"host-{won[0]}"
        clock.advance(31)
