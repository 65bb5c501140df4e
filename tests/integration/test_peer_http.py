"""The transport to peer hubs (`adapters/peer_http.py`) against a real HTTP server on
loopback: a redirect is the answer (a signed call is never sent on elsewhere), an answer
over the limit and a peer that does not answer in time are errors, not waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.adapters.peer_http import HttpPeerTransport
from chalicelib.domain.ports import HttpAnswer
from infra.local.launcher import free_port

RELEASE = threading.Event()


class _Peer(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, bytes, str | None]] = []

    def log_message(self, *args: object) -> None:
        return None

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append((self.command, self.path, self.rfile.read(length),
                          self.headers.get("lgsp-hub")))
        if self.path == "/redirect":
            self._answer(302, b"", Location="/elsewhere")
        elif self.path == "/big":
            self._answer(200, b"x" * 101)
        elif self.path == "/hang":
            RELEASE.wait(10)
        else:
            self._answer(200, b'{"ok": true}')


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()


def send(url: str, method: str = "POST", body: bytes | None = b"{}", *,
         read_timeout: float = 5.0, max_answer: int = 100) -> HttpAnswer:
    return HttpPeerTransport().send(method, url, headers={"lgsp-hub": "https://a.test"},
                                    body=body, connect_timeout=5.0,
                                    read_timeout=read_timeout, max_answer=max_answer)


def test_a_call_and_its_answer(peer: str) -> None:
    answer = send(f"{peer}/v1/federation/ping?x=1")
    assert (answer.status, answer.body) == (200, b'{"ok": true}')
    assert _Peer.seen[-1] == ("POST", "/v1/federation/ping?x=1", b"{}", "https://a.test")


def test_a_redirect_is_the_answer_not_followed(peer: str) -> None:
    before = len(_Peer.seen)
    answer = send(f"{peer}/redirect")
    assert answer.status == 302
    assert [p for _, p, _, _ in _Peer.seen[before:]] == ["/redirect"]


def test_an_answer_over_the_limit_is_refused(peer: str) -> None:
    assert send(f"{peer}/ok", max_answer=12).status == 200
    with pytest.raises(OSError, match="longer than 100 bytes"):
        send(f"{peer}/big")


def test_a_peer_that_does_not_answer_in_time_is_an_error(peer: str) -> None:
    with pytest.raises(OSError, match="timed out"):
        send(f"{peer}/hang", read_timeout=0.2)


def test_nothing_listening_and_other_schemes_are_errors() -> None:
    with pytest.raises(OSError):
        send(f"http://127.0.0.1:{free_port()}/v1/federation/ping")
    with pytest.raises(OSError, match="not an http"):
        send("file:///etc/passwd")
