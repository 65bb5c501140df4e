"""The proxy's outbound calls (`SafePoster.request`, issue 16, docs/catalogue.md "Proxy
mode") against a real server on loopback: any method, the whole answer with only its
safe headers, an answer over the limit an error (never cut), a redirect the answer and
never followed, the cloud metadata address and loopback refused before connecting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.adapters.safe_http import SafePoster
from chalicelib.domain.outbound import OutboundFailedError, OutboundRefusedError, parse_networks
from tests.client.server import Received, Reply, Server, serve

LOOPBACK = parse_networks("127.0.0.0/8")


def _service(request: Received) -> Reply:
    if request.path == "/redirect":
        return Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    if request.path == "/big":
        return Reply(200, b"x" * 2000)
    return Reply(201, b'{"ok":true}', headers={
        "Content-Type": "application/json", "ETag": '"v1"', "Set-Cookie": "sid=secret",
        "X-Internal-Host": "db-7", "Location": "/records/9"})


@pytest.fixture(scope="module")
def service() -> Iterator[Server]:
    with serve(_service) as server:
        yield server


def local() -> SafePoster:
    return SafePoster(allow_http=True, allowed=LOOPBACK)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_any_method_and_the_whole_answer_with_only_safe_headers(service: Server,
                                                                 method: str) -> None:
    body = b"" if method in ("GET", "DELETE") else b'{"a":1}'
    answer = local().request(method, f"{service.url}/records?x=1", body,
                             {"content-type": "application/json"}, timeout=5,
                             max_answer=100)
    assert (answer.status, answer.body) == (201, b'{"ok":true}')
    assert dict(answer.headers) == {"content-type": "application/json", "etag": '"v1"',
                                    "location": "/records/9", "content-length": "11"}
    seen = service.received[-1]
    assert (seen.method, seen.path, seen.body) == (method, "/records?x=1", body)


def test_an_answer_over_the_limit_is_an_error_not_cut(service: Server) -> None:
    with pytest.raises(OutboundFailedError) as caught:
        local().request("GET", f"{service.url}/big", b"", {}, timeout=5, max_answer=1999)
    assert caught.value.reason == "too_large"
    exact = local().request("GET", f"{service.url}/big", b"", {}, timeout=5, max_answer=2000)
    assert len(exact.body) == 2000


def test_a_redirect_to_the_metadata_address_is_the_answer_never_followed(
        service: Server) -> None:
    before = len(service.received)
    answer = local().request("GET", f"{service.url}/redirect", b"", {}, timeout=5,
                             max_answer=100)
    assert answer.status == 302
    assert answer.headers["location"].startswith("http://169.254.169.254/")
    assert [r.path for r in service.received[before:]] == ["/redirect"]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://169.254.169.254/latest/meta-data/", "link_local"),
    ("http://[::ffff:169.254.169.254]/", "link_local"),
    ("http://127.0.0.1:9/", "loopback"),
])
def test_metadata_and_loopback_are_refused_before_connecting(url: str, reason: str) -> None:
    with pytest.raises(OutboundRefusedError) as caught:
        SafePoster(allow_http=True).request("GET", url, b"", {}, timeout=5, max_answer=10)
    assert caught.value.reason == reason


def test_post_still_cuts_a_long_answer(service: Server) -> None:
    answer = local().post(f"{service.url}/big", b"{}", {}, timeout=5, max_answer=1000)
    assert (answer.status, answer.body) == (200, b"x" * 1000)
