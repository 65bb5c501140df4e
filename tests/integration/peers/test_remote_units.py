"""Remote units in our directory (issue 15, R-PROP-10, R-PROP-7; docs/federation.md,
"Remote units"): a code routed to a peer hub is looked up there (signed), cached an hour,
served stale while the peer is down, never served from a peer the code is no longer
routed to; search and listing stay ours."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import keys
from chalicelib.domain.federation_schemas import PeerChange, PeerRequest, RouteRequest
from chalicelib.services import hub_signing, peer_routes, peers, registry, remote_units
from tests.support.fakes import FakeClock
from tests.support.peers import (
    A_URL,
    B_URL,
    HUB_A_UNIT,
    HUB_B_UNIT,
    OPERATOR_CALLER,
    TwoHubs,
)

UNIT_AT_B = f"{B_URL}/v1/federation/units/{HUB_B_UNIT}"


def directory(pair: TwoHubs, code: str) -> tuple[int, Any]:
    answer = pair.world.a.get(f"/v1/directory/{code}")
    return answer.status, answer.body


def test_a_unit_of_b_is_in_as_directory_with_its_hub(pair: TwoHubs) -> None:
    """R-PROP-10: an app of A reads B's unit as it reads its own, marked remote."""
    status, entry = directory(pair, HUB_B_UNIT)
    assert status == 200, entry
    assert entry == {"code": HUB_B_UNIT, "name": "Sở Tài chính tỉnh B",
                     "short_name": "Sở Tài chính tỉnh B", "level": 2,
                     "parent": "000.00.00.H31", "status": "active",
                     "account": f"{HUB_B_UNIT}@lgsp.gov.vn", "successors": [],
                     "remote": True, "hub": "hub-b", "stale": False,
                     "fetched_at": entry["fetched_at"]}
    [asked] = pair.net.sent_to(UNIT_AT_B)
    assert asked.headers["lgsp-hub"] == A_URL  # signed by A, verified by B
    own = directory(pair, HUB_A_UNIT)[1]
    assert (own["remote"], own["hub"]) == (False, None)


def test_the_copy_is_used_for_an_hour_then_asked_again(pair: TwoHubs,
                                                       clock: FakeClock) -> None:
    directory(pair, HUB_B_UNIT)
    clock.advance(3599)
    assert directory(pair, HUB_B_UNIT)[1]["stale"] is False
    assert len(pair.net.sent_to(UNIT_AT_B)) == 1
    clock.advance(1)
    assert directory(pair, HUB_B_UNIT)[1]["stale"] is False
    assert len(pair.net.sent_to(UNIT_AT_B)) == 2
    item = pair.a.table.get(*keys.remote_unit(HUB_B_UNIT))
    assert item is not None and item["ttl"] == clock.now() + remote_units.KEEP_SECONDS


def test_while_b_is_down_the_copy_is_served_stale_and_without_one_it_is_502(
        pair: TwoHubs, clock: FakeClock) -> None:
    directory(pair, HUB_B_UNIT)
    pair.net.down.add(B_URL)
    assert directory(pair, HUB_B_UNIT)[1]["stale"] is False  # within the hour: not asked
    clock.advance(3601)
    status, stale = directory(pair, HUB_B_UNIT)
    assert (status, stale["stale"], stale["hub"]) == (200, True, "hub-b")
    registry.create_unit(pair.b, "000.00.02.H31", "Sở Nội vụ tỉnh B")
    status, error = directory(pair, "000.00.02.H31")
    assert (status, error["error"]["code"]) == (502, "peer_unreachable"), error
    assert "hub-b" in error["error"]["message"]


def test_a_unit_b_does_not_have_is_not_found_and_its_copy_is_dropped(
        pair: TwoHubs, clock: FakeClock) -> None:
    directory(pair, HUB_B_UNIT)
    pair.b.table.delete(*keys.directory_entry(HUB_B_UNIT))  # B's registry forgot it
    clock.advance(3601)
    status, body = directory(pair, HUB_B_UNIT)
    assert (status, body["error"]["code"]) == (404, "unit_not_found")
    assert pair.a.table.get(*keys.remote_unit(HUB_B_UNIT)) is None


def test_a_code_routed_nowhere_local_or_to_a_disabled_peer_is_never_asked(
        pair: TwoHubs) -> None:
    for code in ("000.00.01.H44", "000.00.77.H02"):  # no route; our letter, not registered
        status, body = directory(pair, code)
        assert (status, body["error"]["code"]) == (404, "unit_not_found")
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(state="disabled"))
    assert directory(pair, HUB_B_UNIT)[0] == 404
    assert pair.net.sent == []
    assert remote_units.lookup(pair.a, HUB_A_UNIT) is None  # ours: never remote


def test_a_copy_from_a_peer_the_code_is_no_longer_routed_to_is_not_served(
        pair: TwoHubs, clock: FakeClock) -> None:
    """A route moved (H31 now to another hub): B's copy is not that hub's answer."""
    directory(pair, HUB_B_UNIT)
    peers.create(pair.a, OPERATOR_CALLER, PeerRequest(
        id="hub-b-new", name="B, new platform", base_url="https://lgsp.b-new.test",
        public_jwk=hub_signing.jwks(pair.b)[0]))
    peer_routes.add(pair.a, OPERATOR_CALLER, RouteRequest(pattern=HUB_B_UNIT,
                                                         peer="hub-b-new"))
    status, body = directory(pair, HUB_B_UNIT)  # the new hub does not answer
    assert (status, body["error"]["code"]) == (502, "peer_unreachable")


def test_a_malformed_answer_is_not_cached(pair: TwoHubs) -> None:
    from chalicelib.domain.ports import HttpAnswer
    pair.net.answers[UNIT_AT_B] = HttpAnswer(200, b'{"code": "000.00.09.H31"}', 1.0)
    assert directory(pair, HUB_B_UNIT)[0] == 502
    assert pair.a.table.get(*keys.remote_unit(HUB_B_UNIT)) is None


def test_search_stays_local(pair: TwoHubs) -> None:
    directory(pair, HUB_B_UNIT)
    page = pair.world.a.get("/v1/directory?q=tinh").body
    assert [i["code"] for i in page["items"]] == [HUB_A_UNIT]
