"""Hub to hub over real HTTP (issue 15, R-PROP-10, R-COMP-4; docs/federation.md, "Between
hubs"): three `make run` hosts (tests/e2e/hubs.py) ping each other signed, both ways; a
unit of B is in A's directory with its hub, and still there from A's copy once B stops;
forged peers are refused: another key claiming A's URL (and logged), an unregistered URL,
a replayed call, an app's signature, a disabled peer."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import algorithms

from chalicelib.domain import peer_signatures
from lgsp_client.errors import LgspApiError
from tests.e2e.hubs import ThreeHubs, log_lines
from tests.e2e.test_exchange_e2e import lgsp
from tests.support.peers import signed_by_key

pytestmark = pytest.mark.e2e
PING = "/v1/federation/ping"


def post(url: str, headers: dict[str, str], body: bytes = b"{}") -> tuple[int, Any]:
    answer = requests.post(url, data=body, headers=headers, timeout=30)
    return answer.status_code, answer.json()


def fresh_rsa_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def forged(url: str, *, hub_url: str, kid: str, nonce: str) -> dict[str, str]:
    """A call signed with a key nobody registered, claiming to come from `hub_url`."""
    return peer_signatures.sign("POST", url, {"lgsp-hub": hub_url,
                                              "content-type": "application/json"}, b"{}",
                                key_id=kid, private_pem=fresh_rsa_pem(),
                                created=int(time.time()), nonce=nonce)


def test_each_hub_pings_the_others_signed_and_is_known_there_by_its_id(
        three_hubs: ThreeHubs) -> None:
    """R-PROP-10: every link works both ways, by JWKS URL and by static JWK (A knows C by
    C's key), each hub verifying the other's hub key."""
    for hub in three_hubs:
        for other_name, peer_id in hub.peer_ids.items():
            other = three_hubs.hub(other_name)
            check = hub.operator.check_peer(peer_id)
            assert check["ok"] is True, (hub.name, peer_id, check)
            assert check["status"] == 200 and check["hub"] == other.url
            assert check["known_as"] == other.peer_ids[hub.name]
            assert check["latency_ms"] > 0


def test_another_key_claiming_as_url_is_refused_and_logged_at_b(
        three_hubs: ThreeHubs) -> None:
    """(a) Mallory signs as A (A's lgsp-hub, even A's current kid): B verifies against
    A's published keys, refuses, and logs the claimed hub and the reason."""
    a, b = three_hubs.a, three_hubs.b
    current_kid = str(a.jwks()[0]["kid"])
    for kid in (current_kid, "hk-mallory"):
        status, body = post(b.url + PING, forged(b.url + PING, hub_url=a.url, kid=kid,
                                                 nonce=f"mallory-{kid}-nonce"))
        assert (status, body["error"]["code"]) == (401, "signature_invalid"), body
    lines = [x for x in log_lines(b, "peer_call_refused") if x["hub"] == a.url]
    assert [x["code"] for x in lines][-2:] == ["signature_invalid"] * 2
    assert all("Signature" not in str(x) for x in lines)


def test_an_unregistered_hub_url_is_unknown_peer(three_hubs: ThreeHubs) -> None:
    """(b) A hub nobody registered here, whatever key it signs with."""
    b = three_hubs.b
    stranger = "http://127.0.0.1:9"
    status, body = post(b.url + PING, forged(b.url + PING, hub_url=stranger, kid="hk-x",
                                             nonce="stranger-nonce-0001"))
    assert (status, body["error"]["code"]) == (401, "unknown_peer"), body
    assert any(x["hub"] == stranger and x["code"] == "unknown_peer"
               for x in log_lines(b, "peer_call_refused"))


def test_a_replayed_signed_call_is_refused(three_hubs: ThreeHubs) -> None:
    """(c) A peer's genuine call, captured and sent again. The peer is one that is no
    LGSP (an Ed25519 key registered at B as a static JWK), signing with the RFC 9421
    library directly: B verifies it, then refuses the same call again."""
    b = three_hubs.b
    key = ed25519.Ed25519PrivateKey.generate()
    jwk = {"kty": "OKP", "crv": "Ed25519", "kid": "probe-1",
           "x": base64.urlsafe_b64encode(key.public_key().public_bytes_raw()).rstrip(b"=").decode()}
    b.operator.create_peer({"id": "probe", "name": "Another platform",
                            "base_url": "http://127.0.0.1:7", "public_jwk": jwk})
    headers = signed_by_key(key, algorithms.ED25519, "probe-1", "POST", b.url + PING,
                            hub_url="http://127.0.0.1:7", created=int(time.time()),
                            nonce="probe-nonce-000001")
    status, body = post(b.url + PING, headers)
    assert (status, body["peer"], body["hub"]) == (200, "probe", b.url), body
    status, body = post(b.url + PING, headers)
    assert (status, body["error"]["code"]) == (401, "replayed"), body


def test_an_apps_own_signature_is_refused_on_the_peer_routes(three_hubs: ThreeHubs) -> None:
    """(d) A valid app of B, signing as apps do (label lgsp), is not a peer hub."""
    b = three_hubs.b
    app = b.client_for(b.unit)
    answer = requests.post(b.url + PING, data=b"{}", auth=app.auth, timeout=30,
                           headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "signature_invalid")
    with pytest.raises(LgspApiError) as caught:
        app.call("GET", f"/v1/federation/units/{b.unit}")
    assert caught.value.code == "signature_invalid"


def test_a_disabled_peer_is_forbidden_and_the_check_says_so(three_hubs: ThreeHubs) -> None:
    """(e) B disables A: A's signed ping is refused 403 `peer_disabled`, which A's
    operator sees in the check; enabled again, the link works."""
    a, b = three_hubs.a, three_hubs.b
    b.operator.update_peer(b.peer_ids["a"], {"state": "disabled"})
    try:
        check = a.operator.check_peer(a.peer_ids["b"])
        assert (check["ok"], check["status"]) == (False, 403), check
        assert check["error"]["code"] == "peer_disabled"
    finally:
        b.operator.update_peer(b.peer_ids["a"], {"state": "active"})
    assert a.operator.check_peer(a.peer_ids["b"])["ok"] is True


def test_units_of_b_and_c_are_in_as_directory_and_bs_stays_there_once_b_stops(
        three_hubs: ThreeHubs) -> None:
    """R-PROP-10: an app of A reads B's unit (route H31) and C's (the default route) as it
    reads its own, marked remote with the hub; B stopped, A answers from its copy. Last
    in this module: it stops B (and starts it again)."""
    a, b, c = three_hubs.a, three_hubs.b, three_hubs.c
    reader = a.client_for(a.unit)
    seen = reader.call("GET", f"/v1/directory/{b.unit}")
    assert (seen["remote"], seen["hub"], seen["stale"]) == (True, "h31", False), seen
    assert seen["name"] == "Sở Tài chính tỉnh B" and seen["account"].startswith(b.unit)
    national = reader.call("GET", f"/v1/directory/{c.unit}")
    assert (national["remote"], national["hub"], national["level"]) == (True, "ndxp", 1)
    own = reader.call("GET", f"/v1/directory/{a.unit}")
    assert own["remote"] is False
    shown = lgsp(a.host, reader_app(a), "directory", "show", b.unit).stdout
    assert shown.startswith(b.unit) and "[hub h31]" in shown
    b.add_unit("000.00.02.H31", "Sở Nội vụ tỉnh B")
    with three_hubs.stopped(b):
        cached = reader.call("GET", f"/v1/directory/{b.unit}")
        assert {k: v for k, v in cached.items() if k != "fetched_at"} == \
            {k: v for k, v in seen.items() if k != "fetched_at"}
        with pytest.raises(LgspApiError) as caught:  # never looked up: no copy
            reader.call("GET", "/v1/directory/000.00.02.H31", retry=False)
        assert caught.value.code == "peer_unreachable"


def reader_app(hub: Any) -> dict[str, Any]:
    creds = hub.credentials_for(hub.unit)
    return {"access_key": creds["access_key"], "secret_key": creds["secret_key"]}
