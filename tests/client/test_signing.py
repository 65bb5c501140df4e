"""Signatures made by `LgspAuth` verify with the library's verifier, and only for the exact
method, URL and body signed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, algorithms
from http_message_signatures.resolvers import MappingKeyResolver

from lgsp_client.api import LgspClient
from lgsp_client.signing import LgspAuth, canonical_query

KEY, SECRET = "AKTEST", "s3cret-value"
NOW = 1_790_000_000


class Verifier(HTTPMessageVerifier):
    """The library's verifier with a fixed clock window around NOW."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        assert abs(sig_input.params["created"] - NOW) < 5


@dataclass
class View:
    """What the verifier reads of a request, possibly altered in transit."""

    method: str
    url: str
    headers: dict[str, str]


def signed(method: str, url: str, body: bytes | None = None,
           auth: LgspAuth | None = None) -> requests.PreparedRequest:
    headers = {"Content-Type": "application/json"} if body else {}
    request = requests.Request(method, url, data=body, headers=headers).prepare()
    return (auth or LgspAuth(KEY, SECRET, clock=lambda: NOW))(request)


def verify(request: requests.PreparedRequest, *, method: str | None = None,
           url: str | None = None, body: bytes | None = None) -> Any:
    verifier = Verifier(signature_algorithm=algorithms.HMAC_SHA256,
                        key_resolver=MappingKeyResolver(public_keys={KEY: SECRET.encode()},
                                                        private_keys={}))

    view = View(method or str(request.method), url or str(request.url), dict(request.headers))
    sent = request.body if body is None else body
    required = ["@method", "@target-uri"] + (["content-digest"] if sent else [])
    return verifier.verify(view, max_age=None, require_components=required,
                           body=sent if isinstance(sent, bytes) else None)


URL = "http://127.0.0.1:8000/prod/v1/messages"
BODY = b'{"to":["000.00.32.H99"],"title":"C\xc3\xb4ng v\xc4\x83n"}'


def test_signed_post_verifies_with_content_digest() -> None:
    request = signed("POST", URL, BODY)
    [result] = verify(request)
    assert result.label == "lgsp"
    assert result.parameters["keyid"] == KEY
    assert result.parameters["alg"] == "hmac-sha256"
    assert result.parameters["created"] == NOW
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", result.parameters["nonce"])
    assert list(result.covered_components)[:3] == ['"@method"', '"@target-uri"',
                                                   '"content-digest"']
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    assert result.body == BODY


@pytest.mark.parametrize("change", [
    {"body": BODY.replace(b"32", b"33")},
    {"method": "PUT"},
    {"url": URL.replace("/v1/messages", "/v1/messagez")},
    {"url": URL.replace("/prod", "")},
    {"url": URL + "?limit=1"},
])
def test_any_change_breaks_the_signature(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidSignature):
        verify(signed("POST", URL, BODY), **change)


def test_get_without_body_covers_no_digest() -> None:
    request = signed("GET", "http://h/v1/inbox?cursor=a%2Fb&limit=5")
    [result] = verify(request)
    assert "Content-Digest" not in request.headers
    assert '"content-digest"' not in result.covered_components


def test_each_signing_is_fresh_and_uses_the_clock_offset() -> None:
    auth = LgspAuth(KEY, SECRET, clock=lambda: NOW - 1000)
    auth.clock_offset = 1000
    first, second = signed("GET", URL, auth=auth), signed("GET", URL, auth=auth)
    assert first.headers["Signature-Input"] != second.headers["Signature-Input"]
    assert verify(first)[0].parameters["created"] == NOW
    again = auth(first)  # re-signing a retried request replaces, never appends
    assert again.headers["Signature-Input"].count("lgsp=") == 1


def test_secret_is_not_in_repr() -> None:
    auth = LgspAuth(KEY, SECRET)
    client = LgspClient("http://h", KEY, SECRET)
    assert SECRET not in repr(auth) + repr(client) + repr(vars(auth))


def test_query_is_sorted_and_percent_encoded() -> None:
    assert canonical_query([("limit", "5"), ("cursor", "a b/c=")]) == \
        "cursor=a%20b%2Fc%3D&limit=5"
    assert canonical_query([("b", "2"), ("a", "9"), ("a", "1")]) == "a=1&a=9&b=2"
    client = LgspClient("https://host/prod/", KEY, SECRET)
    assert client.url("/v1/inbox", [("limit", "2"), ("cursor", "x+y")]) == \
        "https://host/prod/v1/inbox?cursor=x%2By&limit=2"
    request = signed("GET", client.url("/v1/inbox", [("limit", "2"), ("cursor", "x+y")]))
    assert request.url == "https://host/prod/v1/inbox?cursor=x%2By&limit=2"
    verify(request)

