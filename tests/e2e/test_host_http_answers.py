"""Whatever a client sends the local host, the answer is the project's error shape
(`{"error": {"code", "message"}}`, JSON) with a 4xx and a stable code: any verb, any path,
any malformed request line or header block. Never HTML, never a 5xx for the client's
mistake (docs/api.md, "Errors")."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.raw_http import AppState, RawClient, get, make_app, running

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with running(make_app(AppState())) as (_, bound):
        yield bound


@pytest.mark.parametrize("verb", ["TRACE", "PROPFIND", "FOO", "LINK", "M-SEARCH"])
def test_a_verb_chalice_cannot_route_is_405_with_allow(port: int, verb: str) -> None:
    answer = RawClient(port).request(get("/v1/ping", verb))
    assert answer.status == 405
    assert answer.error["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == "GET"


def test_connect_is_405_this_hub_is_no_proxy(port: int) -> None:
    answer = RawClient(port).request(b"CONNECT example.org:443 HTTP/1.1\r\n"
                                     b"Host: example.org:443\r\n\r\n")
    assert answer.status == 405
    assert answer.error["code"] == "method_not_allowed"


@pytest.mark.parametrize("verb", ["GET", "POST", "DELETE", "TRACE", "FOO"])
def test_a_path_no_route_declares_is_404(port: int, verb: str) -> None:
    answer = RawClient(port).request(get("/v1/nowhere", verb))
    assert answer.status == 404
    assert answer.error["code"] == "route_not_found"


def test_head_of_an_unknown_path_is_404_without_a_body(port: int) -> None:
    client = RawClient(port)
    answer = client.request(get("/nowhere", "HEAD"), head=True)
    assert answer.status == 404 and int(answer.headers["Content-Length"]) > 0
    assert client.request(get("/v1/ping")).status == 200  # no stray body came first


def test_a_refused_request_with_a_body_is_not_read(port: int) -> None:
    client = RawClient(port)
    answer = client.request(get("/v1/nowhere", "POST", Content_Length="1000000"))
    assert answer.status == 404
    assert answer.headers["Connection"] == "close"


def test_routes_still_answer(port: int) -> None:
    client = RawClient(port)
    assert client.request(get("/v1/ping")).status == 200
    assert client.request(get("/v1/ping?x=1")).status == 200
    assert client.request(get("/v1/ping/")).status == 200  # as API Gateway, trailing slash


LONG = "/" + "a" * 70000
MALFORMED = [
    # (raw request, status, code)
    (b"GARBAGE\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /v1/ping HTTP/1.1 extra\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /v1/ping HTTP/1.x\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /v1/ping XTTP/1.1\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /v1/ping\r\n\r\n", 400, "invalid_request_line"),  # HTTP/0.9
    (b"G(T /v1/ping HTTP/1.1\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /v1/ping HTTP/2.0\r\n\r\n", 400, "http_version_not_supported"),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "http_version_not_supported"),
    (b"GET v1/ping HTTP/1.1\r\n\r\n", 400, "invalid_request_target"),
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request_target"),
    (f"GET {LONG} HTTP/1.1\r\n\r\n".encode(), 414, "uri_too_long"),
    (b"GET /v1/ping HTTP/1.1\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n", 431,
     "headers_too_large"),
    (b"GET /v1/ping HTTP/1.1\r\n" + b"X-Many: m\r\n" * 101 + b"\r\n", 431,
     "headers_too_large"),
]


@pytest.mark.parametrize(("raw", "status", "code"), MALFORMED,
                         ids=[code + str(n) for n, (_, _, code) in enumerate(MALFORMED)])
def test_a_malformed_request_gets_a_json_4xx(port: int, raw: bytes, status: int,
                                              code: str) -> None:
    client = RawClient(port)
    answer = client.request(raw)
    assert answer.status == status
    assert answer.error["code"] == code
    assert client.closed_by_server()  # nothing after a malformed request can be trusted



def test_every_request_has_api_gateways_request_id_in_its_event_and_answer(port: int) -> None:
    """As on AWS: the function sees `requestContext.requestId` (what its log line and a
    unit's error log record, R-OPS-5) and the caller gets it as `x-amzn-RequestId`."""
    ids = []
    for _ in range(2):
        answer = RawClient(port).request(get("/v1/request-id"))
        seen = json.loads(answer.body)["request_id"]
        assert seen and answer.headers["x-amzn-RequestId"] == seen
        ids.append(seen)
    assert ids[0] != ids[1]
