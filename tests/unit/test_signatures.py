"""R-COMP-4: the hub's RFC 9421 policy, without I/O."""

import pytest
from http_message_signatures import algorithms

from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.signatures import SignedRequest, VerificationKey, verify_request
from tests.support.signing import sign

NOW = 1_795_000_000
KEY = VerificationKey(key_id="AK1", algorithm="hmac-sha256", material=b"s3cret",
                      unit="000.00.01.H30", app="app-1")
URL = "http://lgsp.test/v1/messages?a=1&b=2"
BODY = b'{"title": "T\xe1\xbb\x9d"}'


def signed(method: str = "POST", url: str = URL, body: bytes = BODY, created: int = NOW,
           secret: str = "s3cret", **kw: object) -> dict[str, str]:
    return sign(method, url, key_id="AK1", secret=secret, body=body, created=created,
                **kw)  # type: ignore[arg-type]


def verify(headers: dict[str, str], *, method: str = "POST", url: str = URL, body: bytes = BODY,
           key: VerificationKey | None = KEY):  # type: ignore[no-untyped-def]
    return verify_request(SignedRequest(method, url, headers, body), now=NOW, skew_seconds=300,
                          find_key=lambda _: key)


def code_of(headers: dict[str, str], **kw: object) -> str:
    with pytest.raises(AuthenticationError) as err:
        verify(headers, **kw)  # type: ignore[arg-type]
    assert err.value.status == 401
    return err.value.code


def test_a_good_signature_names_the_caller() -> None:
    caller = verify(signed())
    assert (caller.unit, caller.app, caller.key_id, caller.created) == (
        "000.00.01.H30", "app-1", "AK1", NOW)
    assert caller.nonce


def test_get_without_body_needs_no_digest() -> None:
    assert verify(signed("GET", body=b""), method="GET", body=b"").unit == "000.00.01.H30"


@pytest.mark.parametrize(("change", "code"), [
    ({"body": b'{"title": "other"}'}, "digest_mismatch"),
    ({"method": "PUT"}, "signature_invalid"),
    ({"url": "http://lgsp.test/v1/messages?a=1&b=3"}, "signature_invalid"),
    ({"url": "http://lgsp.test/v1/inbox?a=1&b=2"}, "signature_invalid"),
    ({"url": "http://evil.test/v1/messages?a=1&b=2"}, "signature_invalid"),
    ({"key": None}, "signature_invalid"),
    ({"key": VerificationKey("AK1", "hmac-sha256", b"other", "u", "a")}, "signature_invalid"),
    ({"key": VerificationKey("AK1", "hmac-sha256", b"s3cret", "u", "a", active=False)},
     "key_revoked"),
    ({"key": VerificationKey("AK1", "rsa-pss-sha512", b"s3cret", "u", "a")},
     "algorithm_mismatch"),
])
def test_tampering_is_refused_with_a_stable_code(change: dict[str, object], code: str) -> None:
    assert code_of(signed(), **change) == code


@pytest.mark.parametrize("created", [NOW - 301, NOW + 301])
def test_clock_skew_is_bounded(created: int) -> None:
    with pytest.raises(AuthenticationError) as err:
        verify(signed(created=created))
    assert err.value.code == "clock_skew"
    assert err.value.details["server_time"] == NOW


def test_unsigned_and_malformed_requests() -> None:
    assert code_of({}) == "signature_missing"
    assert code_of({"Signature-Input": "lgsp=(", "Signature": "lgsp=:AA==:"}) == \
        "signature_invalid"
    headers = signed()
    headers["Signature-Input"] = headers["Signature-Input"].replace("lgsp=", "other=")
    headers["Signature"] = headers["Signature"].replace("lgsp=", "other=")
    assert code_of(headers) == "signature_invalid"


def test_a_body_must_be_covered_by_content_digest() -> None:
    headers = signed(body=b"")  # signed as if there were no body
    assert code_of(headers) == "signature_invalid"


def test_algorithm_named_in_signature_must_be_the_keys() -> None:
    headers = signed(algorithm=algorithms.HMAC_SHA256)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        'alg="hmac-sha256"', 'alg="hmac-sha1"')
    assert code_of(headers) == "algorithm_mismatch"
