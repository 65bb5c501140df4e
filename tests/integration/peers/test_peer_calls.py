"""Calling peer hubs (issue 15, R-PROP-10, R-COMP-4; docs/federation.md, "Between hubs"):
hub A signs its calls to hub B with its hub key, B verifies them (A registered there by
a static JWK); an operator checks a link; what is worth retrying is told apart from an
answer; nothing is sent where it must not be."""

from __future__ import annotations

import json

import http_sf
import pytest

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.federation_schemas import PeerChange
from chalicelib.domain.ports import HttpAnswer
from chalicelib.services import hub_signing, peer_calls, peers
from tests.support.fakes import FakeClock
from tests.support.peers import A_URL, B_URL, OPERATOR_CALLER, TwoHubs

PING = "/v1/federation/ping"


def test_a_calls_b_signed_with_its_current_hub_key_and_b_knows_it(pair: TwoHubs) -> None:
    """R-COMP-4: B verifies A against the key it registered (A's JWK, RSA, pss-sha512)."""
    answer = peer_calls.call_peer(pair.a, pair.peer_of_b(), "POST", PING, {"hello": "xin chào"})
    assert answer.status == 200, answer.body
    assert answer.body["peer"] == "hub-a" and answer.body["hub"] == B_URL
    [sent] = pair.net.sent_to(B_URL + PING)
    assert sent.headers["lgsp-hub"] == A_URL and sent.body == '{"hello":"xin chào"}'.encode()
    assert sent.headers["Content-Digest"].startswith("sha-512=:")
    members, params = http_sf.parse(sent.headers["Signature-Input"].encode(),
                                    tltype="dictionary")["lgsp-hub"]
    assert [str(m) for m, _ in members] == ["@method", "@target-uri", "lgsp-hub",
                                            "content-type", "content-digest"]
    assert params["keyid"] == hub_signing.current_key(pair.a).kid
    assert params["alg"] == "rsa-pss-sha512" and len(params["nonce"]) >= 16


def test_a_4xx_is_an_answer_and_5xx_429_or_silence_is_worth_retrying(pair: TwoHubs) -> None:
    peer = pair.peer_of_b()
    url = B_URL + PING
    pair.net.answers[url] = HttpAnswer(404, b'{"error": {"code": "x", "message": "y"}}', 2.0)
    assert peer_calls.call_peer(pair.a, peer, "POST", PING).body["error"]["code"] == "x"
    pair.net.answers[url] = HttpAnswer(400, b"<html>no</html>", 2.0)
    assert peer_calls.call_peer(pair.a, peer, "POST", PING).body == {}
    for status in (500, 503, 429):
        pair.net.answers[url] = HttpAnswer(status, b"", 2.0)
        with pytest.raises(peer_calls.PeerUnreachableError) as caught:
            peer_calls.call_peer(pair.a, peer, "POST", PING)
        assert caught.value.status == status
    del pair.net.answers[url]
    pair.net.down.add(B_URL)
    with pytest.raises(peer_calls.PeerUnreachableError) as silent:
        peer_calls.call_peer(pair.a, peer, "POST", PING)
    assert silent.value.status is None


def test_nothing_is_sent_to_a_disabled_peer(pair: TwoHubs) -> None:
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(state="disabled"))
    with pytest.raises(ConflictError) as caught:
        peer_calls.call_peer(pair.a, pair.peer_of_b(), "POST", PING, {})
    assert caught.value.code == "peer_disabled" and caught.value.status == 409
    assert pair.net.sent == []


def test_without_a_public_url_nothing_is_sent(pair: TwoHubs) -> None:
    from dataclasses import replace
    bare = replace(pair.a, settings=pair.a.settings.model_copy(update={"public_url": None}))
    with pytest.raises(ConflictError) as caught:
        peer_calls.call_peer(bare, pair.peer_of_b(), "POST", PING, {})
    assert caught.value.code == "hub_url_unset" and "LGSP_PUBLIC_URL" in caught.value.message
    assert pair.net.sent == []


def test_a_pinned_key_signs_until_it_is_no_longer_published(pair: TwoHubs,
                                                            clock: FakeClock) -> None:
    pinned = hub_signing.current_key(pair.a).kid
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(our_key=pinned))
    hub_signing.rotate_signing_key(pair.a)
    peer_calls.call_peer(pair.a, pair.peer_of_b(), "POST", PING, {})
    assert f'keyid="{pinned}"' in pair.net.sent[-1].headers["Signature-Input"]
    clock.advance(pair.a.settings.session_seconds + 1)
    sent = len(pair.net.sent)
    with pytest.raises(ConflictError) as caught:
        peer_calls.call_peer(pair.a, pair.peer_of_b(), "POST", PING, {})
    assert caught.value.code == "hub_key_unpublished" and len(pair.net.sent) == sent


def test_an_operator_checks_a_link_and_sees_the_id_the_peer_knows_us_by(
        pair: TwoHubs) -> None:
    answer = pair.operator.post("/v1/admin/peers/hub-b/check")
    assert answer.status == 200, answer.body
    assert answer.body == {"peer": "hub-b", "ok": True, "status": 200, "latency_ms": 3.0,
                           "known_as": "hub-a", "hub": B_URL, "error": None}


def test_a_check_shows_the_peers_refusal_and_reaches_a_peer_registered_disabled(
        pair: TwoHubs) -> None:
    """A link is proven before it is used: the check pings a disabled peer too, and what
    B refuses (it disabled A) comes back with B's own code."""
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(state="disabled"))
    peers.update(pair.b, OPERATOR_CALLER, "hub-a", PeerChange(state="disabled"))
    answer = pair.operator.post("/v1/admin/peers/hub-b/check")
    assert answer.status == 200 and answer.body["ok"] is False
    assert (answer.body["status"], answer.body["error"]["code"]) == (403, "peer_disabled")
    pair.net.down.add(B_URL)
    down = pair.operator.post("/v1/admin/peers/hub-b/check").body
    assert (down["ok"], down["status"], down["error"]["code"]) == (False, None,
                                                                   "peer_unreachable")


def test_a_check_of_an_lgsp_that_does_not_know_us(pair: TwoHubs) -> None:
    pair.net.answers[B_URL + PING] = HttpAnswer(
        401, json.dumps({"error": {"code": "unknown_peer", "message": "?"}}).encode(), 1.0)
    body = pair.operator.post("/v1/admin/peers/hub-b/check").body
    assert (body["ok"], body["status"], body["error"]["code"]) == (False, 401, "unknown_peer")
    pair.net.answers[B_URL + PING] = HttpAnswer(200, b"{}", 1.0)
    odd = pair.operator.post("/v1/admin/peers/hub-b/check").body
    assert (odd["ok"], odd["error"]["code"]) == (False, "bad_answer")


def test_only_operators_check_links(pair: TwoHubs) -> None:
    answer = pair.world.a.post("/v1/admin/peers/hub-b/check")
    assert (answer.status, answer.code) == (403, "forbidden")
    missing = pair.operator.post("/v1/admin/peers/nobody/check")
    assert (missing.status, missing.code) == (404, "peer_not_found")
    assert pair.net.sent == []
