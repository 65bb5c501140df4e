"""What authenticating a call reads is kept per process for `LGSP_AUTH_CACHE_SECONDS`
(issue 17, R-COMP-4; docs/auth-protocol.md): the stated bound on a revocation made on
another host is proven here with two processes' worth of state on one table (two `Deps`,
each its own cache), and at once on the host that made it. A replay is refused whatever
the cache holds."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain import keys
from chalicelib.services import units
from chalicelib.services.deps import Deps
from tests.support.hub import UNIT_A, World, on

BOUND = 5  # the default LGSP_AUTH_CACHE_SECONDS


class Counting:
    """Counts the table's reads of one partition."""

    def __init__(self, deps: Deps) -> None:
        self.deps, self.gets = deps, 0
        inner = deps.table.get

        def get(pk: str, sk: str) -> object:
            if pk.startswith(("KEY#", "APP#", "UNIT#")):
                self.gets += 1
            return inner(pk, sk)
        deps.table.get = get  # type: ignore[method-assign]



def test_a_warm_process_reads_a_key_once_within_the_bound(hub: World) -> None:
    counting = Counting(hub.deps)
    for _ in range(4):
        assert hub.a.get("/v1/inbox").status == 200
    assert counting.gets == 3  # the key, its unit, its app: once
    hub.deps.clock.advance(BOUND)
    assert hub.a.get("/v1/inbox").status == 200
    assert counting.gets == 6  # read again after the bound


def test_a_key_revoked_elsewhere_stops_within_the_bound(hub: World, other_host: Deps) -> None:
    on(other_host)
    assert hub.a.get("/v1/inbox").status == 200  # the other host has the key cached
    on(hub.deps)
    key_id = hub.a.creds.access_key
    assert hub.a.call("DELETE", f"/v1/keys/{key_id}").status == 200  # revoked here
    assert hub.a.get("/v1/inbox").code == "key_revoked"  # here: at once
    on(other_host)
    hub.deps.clock.advance(BOUND - 1)
    assert hub.a.get("/v1/inbox").status == 200  # there: still, for at most the bound
    hub.deps.clock.advance(1)
    refused = hub.a.get("/v1/inbox")
    assert refused.status == 401 and refused.code == "key_revoked"


def test_a_unit_suspended_elsewhere_stops_within_the_bound(hub: World,
                                                           other_host: Deps) -> None:
    on(other_host)
    assert hub.a.get("/v1/inbox").status == 200
    units.update_unit(hub.deps, UNIT_A, {"status": units.SUSPENDED}, actor="op")
    hub.deps.clock.advance(BOUND)
    assert hub.a.get("/v1/inbox").status == 401


def test_a_replay_is_refused_with_the_key_cached(hub: World) -> None:
    assert hub.a.get("/v1/inbox").status == 200
    first = hub.a.get("/v1/inbox", nonce="same-nonce-0000001")
    assert first.status == 200
    again = hub.a.get("/v1/inbox", nonce="same-nonce-0000001")
    assert again.status == 401 and again.code == "replayed"


def test_a_retiring_key_stops_at_its_second_though_cached(hub: World) -> None:
    rotated = hub.a.post("/v1/keys", {})
    assert rotated.status == 201
    old = hub.deps.table.get(*keys.access_key(hub.a.creds.access_key))
    assert old is not None and old["status"] == "retiring"
    hub.deps.clock.value = int(old["valid_until"]) - 1
    assert hub.a.get("/v1/inbox").status == 200  # cached now
    hub.deps.clock.advance(1)  # its valid_until: within the cache's bound, still refused
    assert hub.a.get("/v1/inbox").code == "key_revoked"


def test_no_cache_reads_every_call(hub: World) -> None:
    bare = replace(hub.deps, settings=hub.deps.settings.model_copy(
        update={"auth_cache_seconds": 0}))
    on(bare)
    counting = Counting(bare)
    for _ in range(2):
        assert hub.a.get("/v1/inbox").status == 200
    assert counting.gets == 6
    on(hub.deps)
