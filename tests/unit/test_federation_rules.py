"""Routes to peer hubs, pure rules (issue 15, R-PROP-10; docs/federation.md): pattern
parsing, the candidates of a code, resolution precedence, peer URLs and keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from chalicelib.domain import federation as rules, peer_keys
from chalicelib.domain.errors import InvalidRequestError

ACTIVE, DISABLED = rules.ACTIVE, rules.DISABLED


@pytest.mark.parametrize(("text", "kind", "canonical", "route_id"), [
    ("000.00.04.G14", "code", "000.00.04.G14", "000.00.04.G14"),
    ("H31", "level1", "H31", "H31"),
    ("G", "letter", "G", "G"),
    ("*", "default", "*", "default"),
    ("default", "default", "*", "default"),
])
def test_each_kind_of_pattern_is_read(text: str, kind: str, canonical: str,
                                      route_id: str) -> None:
    pattern = rules.parse_pattern(text)
    assert (pattern.kind, pattern.text, pattern.route_id) == (kind, canonical, route_id)


@pytest.mark.parametrize(("text", "code", "says"), [
    ("g", "invalid_route_pattern", "letter class 'g' is unknown"),
    ("7", "invalid_route_pattern", "letter class '7' is unknown"),
    ("Đ", "invalid_route_pattern", "letter class 'Đ' is unknown"),
    ("H3", "invalid_route_pattern", "none of the four kinds"),
    ("h31", "invalid_route_pattern", "none of the four kinds"),
    ("H31*", "invalid_route_pattern", "none of the four kinds"),
    ("", "invalid_route_pattern", "none of the four kinds"),
    ("000.05.00.H31", "invalid_unit_code", "level-3 unit"),
    ("00.00.04.G14", "invalid_unit_code", "level 4 part"),
])
def test_bad_patterns_say_why(text: str, code: str, says: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        rules.parse_pattern(text)
    assert caught.value.code == code and caught.value.details["field"] == "pattern"
    assert says in caught.value.message


def test_candidates_go_from_the_code_to_the_default() -> None:
    assert [p.text for p in rules.candidates("001.02.03.H31")] == [
        "001.02.03.H31", "H31", "H", "*"]


ROUTES = {"000.00.04.G14": "bo-tc", "H31": "hanoi", "G": "ndxp-g", "*": "ndxp"}
STATES = {"bo-tc": ACTIVE, "hanoi": ACTIVE, "ndxp-g": ACTIVE, "ndxp": ACTIVE}


def where(code: str, routes: dict[str, str] = ROUTES, states: dict[str, str] = STATES,
          registered: bool = False) -> tuple[str, str | None, str | None]:
    found = {p.text: routes[p.text] for p in rules.candidates(code) if p.text in routes}
    decided = rules.resolve(code, registered=registered, routes=found, peer_states=states)
    return decided.outcome, decided.route, decided.peer


def test_the_most_specific_route_decides() -> None:
    assert where("000.00.04.G14") == ("routed", "000.00.04.G14", "bo-tc")
    assert where("000.00.05.G14") == ("routed", "G", "ndxp-g")
    assert where("000.12.31.H31") == ("routed", "H31", "hanoi")
    assert where("000.00.00.K01") == ("routed", "*", "ndxp")
    assert where("000.00.00.K01", routes={"H31": "hanoi"}) == ("no_route", None, None)


def test_a_unit_of_ours_is_local_whatever_the_routes() -> None:
    decided = rules.resolve("000.00.04.G14", registered=True, routes={"000.00.04.G14": "x"},
                            peer_states={"x": ACTIVE})
    assert decided.local and (decided.route, decided.peer) == (None, None)


def test_a_disabled_peer_is_no_route_without_falling_through() -> None:
    states = {**STATES, "hanoi": DISABLED}
    assert where("000.00.00.H31", states=states) == ("peer_disabled", "H31", "hanoi")
    assert where("000.00.00.H32", states=states) == ("routed", "*", "ndxp")
    assert where("000.00.00.H31", states={}) == ("peer_disabled", "H31", "hanoi")


@pytest.mark.parametrize(("url", "allow_http", "ok"), [
    ("https://lgsp.hanoi.gov.vn/", False, "https://lgsp.hanoi.gov.vn"),
    ("https://lgsp.hanoi.gov.vn:8443/api", False, "https://lgsp.hanoi.gov.vn:8443/api"),
    ("http://10.0.0.5:8000", True, "http://10.0.0.5:8000"),
    ("http://10.0.0.5:8000", False, None),
    ("ftp://lgsp.hanoi.gov.vn", True, None),
    ("https://", False, None),
    ("https://a:b@lgsp.hanoi.gov.vn", False, None),
    ("https://lgsp.hanoi.gov.vn/?x=1", False, None),
    ("https://lgsp.hanoi.gov.vn/#top", False, None),
    ("https://lgsp.hanoi.gov.vn:port", False, None),
    ("https://lgsp hanoi.gov.vn", False, None),
    ("https://x.vn/" + "a" * 500, False, None),
])
def test_peer_urls(url: str, allow_http: bool, ok: str | None) -> None:
    if ok is not None:
        assert rules.check_base_url(url, field="base_url", allow_http=allow_http) == ok
        return
    with pytest.raises(InvalidRequestError) as caught:
        rules.check_base_url(url, field="base_url", allow_http=allow_http)
    assert caught.value.code == "invalid_peer_url" and caught.value.details["field"] == "base_url"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_public_keys_are_kept_to_their_public_members() -> None:
    ed = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(ed), "use": "sig", "kid": "k1"}
    assert peer_keys.public_jwk(jwk) == {"kty": "OKP", "crv": "Ed25519", "x": b64(ed),
                                         "kid": "k1"}
    n = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    p256 = {"kty": "EC", "crv": "P-256", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}
    assert peer_keys.public_jwk(p256) == p256


def test_an_rsa_key_such_as_another_lgsp_publishes_is_taken_and_implies_pss() -> None:
    """Another LGSP signs with its hub keys (RSA 2048, published with `alg` RS256 for its
    tokens): kept to `n`, `e`, `kid`; its calls are verified with rsa-pss-sha512."""
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key() \
        .public_numbers()
    jwk = {"kty": "RSA", "n": b64(numbers.n.to_bytes(256, "big")), "e": "AQAB",
           "alg": "RS256", "use": "sig", "kid": "hk-1"}
    kept = peer_keys.public_jwk(jwk)
    assert kept == {"kty": "RSA", "n": jwk["n"], "e": "AQAB", "kid": "hk-1"}
    assert peer_keys.algorithm_of(kept) == "rsa-pss-sha512"
    assert b"BEGIN PUBLIC KEY" in peer_keys.public_pem(kept)


@pytest.mark.parametrize(("jwk", "says"), [
    ("not a dict", "JSON object"),
    ({"kty": "OKP", "crv": "Ed25519", "x": b64(b"x" * 32), "d": b64(b"d" * 32)},
     "private key"),
    ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "at least 2048 bits"),
    ({"kty": "oct", "k": "c2VjcmV0"}, "private key"),
    ({"kty": "EC", "crv": "P-384", "x": b64(b"x" * 48), "y": b64(b"y" * 48)}, "not accepted"),
    ({"kty": "OKP", "crv": "Ed25519", "x": b64(b"x" * 31)}, "32 bytes"),
    ({"kty": "OKP", "crv": "Ed25519", "x": "a+b/"}, "base64url"),
    ({"kty": "OKP", "crv": "Ed25519"}, "base64url"),
    ({"kty": "EC", "crv": "P-256", "x": b64(b"\x01" * 32), "y": b64(b"\x02" * 32)},
     "not on the P-256 curve"),
    ({"kty": "OKP", "crv": "Ed25519", "x": b64(b"x" * 32), "kid": ""}, "kid"),
])
def test_bad_keys_are_refused(jwk: object, says: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        peer_keys.public_jwk(jwk)
    assert caught.value.code == "invalid_peer_key" and says in caught.value.message
