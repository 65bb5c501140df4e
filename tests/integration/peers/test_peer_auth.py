"""Calls from peer hubs (issue 15, R-PROP-10, R-COMP-4; docs/federation.md, "Between
hubs"): hub B's signed calls reach hub A's `/v1/federation/...` routes; a call that is not
a registered, active peer's own (unknown URL, another key, replayed, tampered, an app's
signature, a downgraded algorithm) is refused with a stable code and one log line naming
the claimed hub; A reads B's keys from B's JWKS, kept five minutes and fetched again for
an unknown kid at most once a minute."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import algorithms

from chalicelib.domain import peer_signatures
from chalicelib.domain.federation_schemas import PeerChange, PeerRequest
from chalicelib.services import hub_signing, peers, registry
from tests.support.fakes import FakeClock
from tests.support.hub import HOST, Reply
from tests.support.peers import (
    A_URL,
    B_URL,
    HUB_A_UNIT,
    OPERATOR_CALLER,
    TwoHubs,
    signed_as,
    signed_by_key,
)

PING = "/v1/federation/ping"


def peer_call(pair: TwoHubs, method: str, path: str, headers: dict[str, str],
              body: bytes = b"") -> Reply:
    """Hub A's route as a peer's request reaches it (headers as signed, nothing added)."""
    res = pair.world.client.http.request(method, path, headers={"host": HOST, **headers},
                                         body=body)
    text = res.body.decode() if res.body else ""
    return Reply(res.status_code, {k.lower(): v for k, v in res.headers.items()},
                 json.loads(text) if text else None)


def from_b(pair: TwoHubs, method: str, path: str, body: bytes = b"", **kw: Any) -> Reply:
    headers = signed_as(pair.b, method, f"http://{HOST}{path}", body=body, **kw)
    return peer_call(pair, method, path, headers, body)


def refusals(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records
            if r.name == "lgsp.federation" and r.levelno == logging.WARNING]


def test_a_registered_peer_pings_and_is_told_our_url_and_its_id_here(pair: TwoHubs) -> None:
    """R-PROP-10: B proves the link; A answers who it is and whom it took the call for."""
    answer = from_b(pair, "POST", PING, b"{}")
    assert answer.status == 200, answer.body
    assert answer.body["hub"] == A_URL and answer.body["peer"] == "hub-b"
    assert answer.body["at"].endswith("Z")


def test_a_peer_reads_one_of_our_units_in_any_state_and_nothing_else(pair: TwoHubs) -> None:
    got = from_b(pair, "GET", f"/v1/federation/units/{HUB_A_UNIT}")
    assert got.status == 200, got.body
    assert (got.body["code"], got.body["state"], got.body["hub"]) == (HUB_A_UNIT, "active",
                                                                      A_URL)
    assert got.body["name"] == "Sở Tài chính tỉnh A" and got.body["level"] == 2
    registry.create_unit(pair.a, "000.00.02.H02", "Sở Nội vụ tỉnh A", status="suspended")
    suspended = from_b(pair, "GET", "/v1/federation/units/000.00.02.H02", nonce="m" * 22)
    assert (suspended.status, suspended.body["state"]) == (200, "suspended")
    for code, nonce in (("000.00.01.H31", "o" * 22), ("000.00.77.H02", "p" * 22)):
        # B's own unit (routed to B here) and a code nobody has: the same 404
        missing = from_b(pair, "GET", f"/v1/federation/units/{code}", nonce=nonce)
        assert (missing.status, missing.code) == (404, "unit_not_found"), missing.body


def test_an_apps_signature_never_reaches_a_peer_route(pair: TwoHubs) -> None:
    """R-COMP-4: an app of A, validly signed for A's own API, is not a peer."""
    for method, path in (("POST", PING), ("GET", f"/v1/federation/units/{HUB_A_UNIT}")):
        answer = pair.operator.call(method, path, {} if method == "POST" else None)
        assert (answer.status, answer.code) == (401, "signature_invalid"), answer.body
        assert "lgsp-hub" in answer.body["error"]["message"]


def test_a_peer_signature_is_no_apps_signature(pair: TwoHubs) -> None:
    answer = from_b(pair, "GET", "/v1/whoami")
    assert (answer.status, answer.code) == (401, "signature_invalid")


def test_an_unregistered_hub_url_is_unknown_peer_and_logged(
        pair: TwoHubs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "lgsp.federation")
    answer = from_b(pair, "POST", PING, b"{}", hub_url="https://lgsp.mallory.test")
    assert (answer.status, answer.code) == (401, "unknown_peer"), answer.body
    [line] = refusals(caplog)
    assert line["hub"] == "https://lgsp.mallory.test" and line["code"] == "unknown_peer"


def test_a_key_nobody_registered_signing_as_b_is_refused_and_logged(
        pair: TwoHubs, caplog: pytest.LogCaptureFixture) -> None:
    """Mallory claims B's URL and even B's current kid: A verifies against B's own JWKS."""
    caplog.set_level(logging.WARNING, "lgsp.federation")
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = forged.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    for kid in (hub_signing.current_key(pair.b).kid, "hk-forged"):
        headers = peer_signatures.sign("POST", f"http://{HOST}{PING}",
                                       {"lgsp-hub": B_URL, "content-type": "application/json"},
                                       b"{}", key_id=kid, private_pem=pem,
                                       created=pair.a.clock.now(), nonce="q" * 22 + kid[-3:])
        answer = peer_call(pair, "POST", PING, headers, b"{}")
        assert (answer.status, answer.code) == (401, "signature_invalid"), answer.body
    lines = refusals(caplog)
    assert [(x["hub"], x["code"]) for x in lines] == [(B_URL, "signature_invalid")] * 2
    assert "Signature" not in json.dumps(lines) and "{}" not in json.dumps(lines)


def test_a_replayed_call_is_refused(pair: TwoHubs) -> None:
    headers = signed_as(pair.b, "POST", f"http://{HOST}{PING}", body=b"{}")
    assert peer_call(pair, "POST", PING, headers, b"{}").status == 200
    again = peer_call(pair, "POST", PING, headers, b"{}")
    assert (again.status, again.code) == (401, "replayed")


def test_the_same_nonce_from_another_peer_is_not_a_replay(pair: TwoHubs) -> None:
    """Nonces are remembered per peer: an app's nonce or another peer's never collides."""
    peers.create(pair.a, OPERATOR_CALLER, PeerRequest(
        id="hub-b2", name="B again", base_url="https://lgsp.b2.test",
        public_jwk=hub_signing.jwks(pair.b)[0]))
    assert from_b(pair, "POST", PING, b"{}", nonce="r" * 22).status == 200
    other = from_b(pair, "POST", PING, b"{}", nonce="r" * 22, hub_url="https://lgsp.b2.test")
    assert (other.status, other.body["peer"]) == (200, "hub-b2")


def test_a_tampered_body_is_a_digest_mismatch(pair: TwoHubs) -> None:
    headers = signed_as(pair.b, "POST", f"http://{HOST}{PING}", body=b'{"a":1}')
    answer = peer_call(pair, "POST", PING, headers, b'{"a":2}')
    assert (answer.status, answer.code) == (401, "digest_mismatch")


def test_a_disabled_peer_proven_by_its_signature_is_forbidden(pair: TwoHubs) -> None:
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(state="disabled"))
    answer = from_b(pair, "POST", PING, b"{}")
    assert (answer.status, answer.code) == (403, "peer_disabled")
    peers.update(pair.a, OPERATOR_CALLER, "hub-b", PeerChange(state="active"))
    assert from_b(pair, "POST", PING, b"{}").status == 200  # the nonce was not spent


@pytest.mark.parametrize(("skew", "code"), [(-301, "clock_skew"), (301, "clock_skew")])
def test_a_call_outside_the_skew_window_is_refused_with_our_time(
        pair: TwoHubs, clock: FakeClock, skew: int, code: str) -> None:
    url = f"http://{HOST}{PING}"
    clock.advance(skew)
    headers = signed_as(pair.b, "POST", url, body=b"{}")
    clock.advance(-skew)
    answer = peer_call(pair, "POST", PING, headers, b"{}")
    assert (answer.status, answer.code) == (401, code)
    assert answer.headers["lgsp-server-time"] == str(clock.now())


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_with(key: Any, algorithm: Any, kid: str, *, nonce: str | None = "s" * 22,
                components: tuple[str, ...] = ("@method", "@target-uri", "lgsp-hub",
                                               "content-type"),
                hub_url: str = "https://lgsp.ed.test") -> dict[str, str]:
    """A call signed by some other implementation (the library, not ours)."""
    return signed_by_key(key, algorithm, kid, "POST", f"http://{HOST}{PING}", hub_url=hub_url,
                         created=1_795_000_000, nonce=nonce, components=components)


@pytest.fixture
def ed_peer(pair: TwoHubs) -> ed25519.Ed25519PrivateKey:
    """A peer that is no LGSP (the national platform, say): an Ed25519 key, static JWK."""
    key = ed25519.Ed25519PrivateKey.generate()
    peers.create(pair.a, OPERATOR_CALLER, PeerRequest(
        id="ndxp", name="NDXP", base_url="https://lgsp.ed.test", public_jwk={
            "kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key().public_bytes_raw()),
            "kid": "ndxp-1"}))
    return key


def test_an_ed25519_peer_signed_by_another_implementation_is_verified(
        pair: TwoHubs, ed_peer: ed25519.Ed25519PrivateKey) -> None:
    answer = peer_call(pair, "POST", PING, signed_with(ed_peer, algorithms.ED25519,
                                                       "ndxp-1"), b"{}")
    assert (answer.status, answer.body["peer"]) == (200, "ndxp"), answer.body


@pytest.mark.parametrize(("change", "code"), [
    ({"kid": "ndxp-2"}, "signature_invalid"),  # the static JWK names another kid
    ({"nonce": None}, "nonce_required"),
    ({"components": ("@method", "@target-uri", "content-type")}, "signature_invalid"),
    ({"components": ("@method", "@target-uri", "lgsp-hub")}, "signature_invalid"),
])
def test_what_a_peers_call_must_carry(pair: TwoHubs, ed_peer: ed25519.Ed25519PrivateKey,
                                      change: dict[str, Any], code: str) -> None:
    kid = change.pop("kid", "ndxp-1")
    answer = peer_call(pair, "POST", PING, signed_with(ed_peer, algorithms.ED25519, kid,
                                                       **change), b"{}")
    assert (answer.status, answer.code) == (401, code), answer.body


def test_an_rsa_key_cannot_be_downgraded_to_pkcs1(pair: TwoHubs) -> None:
    """B's key implies rsa-pss-sha512: a signature saying rsa-v1_5-sha256 is refused
    before any verification."""
    key = hub_signing.current_key(pair.b)
    headers = signed_with(key.private_pem, algorithms.RSA_V1_5_SHA256, key.kid,
                          hub_url=B_URL)
    answer = peer_call(pair, "POST", PING, headers, b"{}")
    assert (answer.status, answer.code) == (401, "algorithm_mismatch")


def test_bs_jwks_is_fetched_once_then_again_for_a_new_kid_at_most_once_a_minute(
        pair: TwoHubs, clock: FakeClock) -> None:
    jwks_url = f"{B_URL}/.well-known/jwks.json"
    for nonce in ("a" * 22, "b" * 22, "c" * 22):
        assert from_b(pair, "POST", PING, b"{}", nonce=nonce).status == 200
    assert len(pair.net.sent_to(jwks_url)) == 1
    clock.advance(61)
    hub_signing.rotate_signing_key(pair.b)  # B signs with a new kid from now on
    assert from_b(pair, "POST", PING, b"{}", nonce="d" * 22).status == 200
    assert len(pair.net.sent_to(jwks_url)) == 2
    forged = signed_as(pair.b, "POST", f"http://{HOST}{PING}", body=b"{}", nonce="e" * 22)
    forged["Signature-Input"] = forged["Signature-Input"].replace('keyid="hk-',
                                                                  'keyid="hk-x')
    assert peer_call(pair, "POST", PING, forged, b"{}").code == "signature_invalid"
    assert len(pair.net.sent_to(jwks_url)) == 2  # within the minute: not fetched again
    clock.advance(300)
    assert from_b(pair, "POST", PING, b"{}", nonce="f" * 22).status == 200
    assert len(pair.net.sent_to(jwks_url)) == 3  # five minutes old: fetched again


def test_a_jwks_that_cannot_be_read_is_unavailable_for_now(pair: TwoHubs) -> None:
    pair.net.down.add(B_URL)
    answer = from_b(pair, "POST", PING, b"{}")
    assert (answer.status, answer.code) == (503, "peer_keys_unavailable"), answer.body
    pair.net.down.clear()
    assert from_b(pair, "POST", PING, b"{}", nonce="g" * 22).status == 200
