"""The transport to peer hubs (`adapters/peer_http.py`) against a real HTTP server on
loopback: a redirect is the answer (a signed call is never sent on elsewhere), an answer
over the limit and a peer that does not answer in time are errors, not waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from chalicelib.adapters.peer_http import HttpPeerTransport
from chalicelib.domain.ports import HttpAnswer
from infra.local.processes import free_port
from tests.client.server import Received, Reply, Server, serve

RELEASE = threading.Event()


def _peer(request: Received) -> Reply:
    if request.path == "/redirect":
        return Reply(302, headers={"Location": "/elsewhere"})
    if request.path == "/big":
        return Reply(200, b"x" * 101)
    if request.path == "/hang":
        RELEASE.wait(10)
    return Reply(200, b'{"ok": true}')


@pytest.fixture(scope="module")
def peer() -> Iterator[Server]:
    with serve(_peer) as server:
        try:
            yield server
        finally:
            RELEASE.set()


def send(url: str, method: str = "POST", body: bytes | None = b"{}", *,
         read_timeout: float = 5.0, max_answer: int = 100) -> HttpAnswer:
    return HttpPeerTransport().send(method, url, headers={"lgsp-hub": "https://a.test"},
                                    body=body, connect_timeout=5.0,
                                    read_timeout=read_timeout, max_answer=max_answer)


def test_a_call_and_its_answer(peer: Server) -> None:
    answer = send(f"{peer.url}/v1/federation/ping?x=1")
    assert (answer.status, answer.body) == (200, b'{"ok": true}')
    seen = peer.received[-1]
    assert (seen.method, seen.path, seen.body) == ("POST", "/v1/federation/ping?x=1", b"{}")
    assert seen.headers["lgsp-hub"] == "https://a.test"


def test_a_redirect_is_the_answer_not_followed(peer: Server) -> None:
    before = len(peer.received)
    answer = send(f"{peer.url}/redirect")
    assert answer.status == 302
    assert [r.path for r in peer.received[before:]] == ["/redirect"]


def test_an_answer_over_the_limit_is_refused(peer: Server) -> None:
    assert send(f"{peer.url}/ok", max_answer=12).status == 200
    with pytest.raises(OSError, match="longer than 100 bytes"):
        send(f"{peer.url}/big")


def test_a_peer_that_does_not_answer_in_time_is_an_error(peer: Server) -> None:
    with pytest.raises(OSError, match="timed out"):
        send(f"{peer.url}/hang", read_timeout=0.2)


def test_nothing_listening_and_other_schemes_are_errors() -> None:
    with pytest.raises(OSError):
        send(f"http://127.0.0.1:{free_port()}/v1/federation/ping")
    with pytest.raises(OSError, match="not an http"):
        send("file:///etc/passwd")
