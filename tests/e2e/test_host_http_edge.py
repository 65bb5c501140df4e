"""The local host's HTTP edge holds under clients that are too big, too slow or too many:
a body over the cap is refused before it is read, a bad length never makes the server read
to the end of the stream, a stalled client is dropped after its timeout, requests are
served by a fixed pool of workers (the excess answered `busy` at once), and WebSockets
live on threads of their own, with a cap of their own (R-COMP-2: the hub stays up 24/7).

Raw sockets throughout: every wait is bounded by the socket timeout and most wait on the
server closing the connection; nothing sleeps."""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from infra.local.http_connection import HttpLimits
from tests.e2e.raw_http import WAIT, AppState, RawClient, get, make_app, running, ws_upgrade

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024


@pytest.fixture()
def state() -> AppState:
    return AppState()


@pytest.fixture()
def port(state: AppState) -> Iterator[int]:
    """A host with the default limits."""
    with running(make_app(state)) as (_, bound):
        yield bound


def post(length: str, *, expect: bool = False) -> bytes:
    head = get("/v1/echo", "POST", Content_Type="application/json", Content_Length=length)
    return head[:-2] + b"Expect: 100-continue\r\n\r\n" if expect else head


def test_a_body_over_the_cap_is_refused_before_it_is_read(port: int, state: AppState) -> None:
    client = RawClient(port)
    # 11 MiB announced, not one byte of it sent: only a server that does not wait for the
    # body can answer.
    answer = client.request(post(str(11 * MiB)))
    assert answer.status == 413
    assert answer.error["code"] == "content_too_large"
    assert "10485760" in answer.error["message"]
    assert answer.headers["Connection"] == "close"
    client.send(b"x" * 65536)  # the rest of the body is drained, then the connection ends
    assert client.closed_by_server()
    assert state.echoed == []


def test_a_body_at_the_cap_is_served(state: AppState) -> None:
    with running(make_app(state), HttpLimits(max_body_bytes=1000)) as (_, bound):
        ok = requests.post(f"http://127.0.0.1:{bound}/v1/echo", data=b"{" + b" " * 998 + b"}",
                           timeout=WAIT)
        assert ok.status_code == 200 and ok.json() == {"length": 1000}
        over = requests.post(f"http://127.0.0.1:{bound}/v1/echo", data=b" " * 1001,
                             timeout=WAIT)
        assert over.status_code == 413  # the client sent it all and still reads the answer
        assert over.json()["error"]["code"] == "content_too_large"
    assert state.echoed == [1000]


def test_expect_continue_over_the_cap_gets_413_not_100(port: int) -> None:
    client = RawClient(port)
    answer = client.request(post(str(11 * MiB), expect=True))
    assert answer.status == 413
    assert client.closed_by_server()


def test_expect_continue_within_the_cap_gets_100_then_the_answer(port: int) -> None:
    client = RawClient(port)
    assert client.request(post("2", expect=True)).status == 100
    client.send(b"{}")
    answer = client.answer()
    assert answer.status == 200 and json.loads(answer.body) == {"length": 2}


@pytest.mark.parametrize("length", ["-1", "12abc", "+2", " ", "2, 3", "0x10", "\xb2"])
def test_a_bad_content_length_is_400_and_never_read_to_the_end(port: int, state: AppState,
                                                               length: str) -> None:
    client = RawClient(port)
    # The client keeps its end open: a server reading to the end of the stream would hang.
    answer = client.request(post(length).replace(b"\xc2\xb2", b"\xb2"))
    assert answer.status == 400
    assert answer.error["code"] == "invalid_content_length"
    assert client.closed_by_server()
    assert state.echoed == []


def test_two_different_content_lengths_are_refused(port: int) -> None:
    raw = get("/v1/echo", "POST", Content_Length="2")[:-2] + b"Content-Length: 3\r\n\r\n{}"
    answer = RawClient(port).request(raw)
    assert answer.status == 400 and answer.error["code"] == "invalid_content_length"


def test_a_chunked_body_needs_a_length(port: int, state: AppState) -> None:
    client = RawClient(port)
    answer = client.request(get("/v1/echo", "POST", Transfer_Encoding="chunked")
                            + b"2\r\n{}\r\n0\r\n\r\n")
    assert answer.status == 411
    assert answer.error["code"] == "length_required"
    assert client.closed_by_server()
    assert state.echoed == []


def test_a_body_cut_short_never_reaches_the_app(port: int, state: AppState) -> None:
    client = RawClient(port)
    client.send(post("10") + b"{}")
    client.sock.shutdown(socket.SHUT_WR)  # the client is gone before its 10 bytes
    assert client.closed_by_server()
    assert state.echoed == []


def test_a_stalled_request_line_is_dropped_after_the_header_timeout(state: AppState) -> None:
    limits = HttpLimits(workers=1, header_timeout=0.5)
    with running(make_app(state), limits) as (_, bound):
        client = RawClient(bound)
        client.send(b"GET /v1/pi")  # half a request line, then nothing
        answer = client.answer()
        assert answer.status == 408 and answer.error["code"] == "request_timeout"
        assert client.closed_by_server()
        # the one worker is free again
        assert requests.get(f"http://127.0.0.1:{bound}/v1/ping", timeout=WAIT).ok


def test_headers_trickled_byte_by_byte_hit_one_deadline(state: AppState) -> None:
    """Each byte comes well within the header timeout; the whole head does not."""
    limits = HttpLimits(workers=1, header_timeout=0.5)
    with running(make_app(state), limits) as (_, bound):
        client = RawClient(bound)
        head = get("/v1/ping", X_Padding="p" * 400)
        answered = False
        for byte in head:  # up to ~420 x 0.1 s if the server never gave up
            client.send(bytes([byte]))
            if select.select([client.sock], [], [], 0.1)[0]:
                answered = True
                break
        assert answered, "the server waited for the whole trickled head"
        assert client.answer().status == 408
        assert client.closed_by_server()


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout(
        state: AppState) -> None:
    limits = HttpLimits(workers=1, idle_timeout=0.5)
    with running(make_app(state), limits) as (_, bound):
        client = RawClient(bound)
        assert client.request(get("/v1/ping")).status == 200
        assert client.closed_by_server()  # nothing sent since: the server lets go
        assert requests.get(f"http://127.0.0.1:{bound}/v1/ping", timeout=WAIT).ok


def test_a_connection_that_never_speaks_is_closed(state: AppState) -> None:
    limits = HttpLimits(workers=1, header_timeout=0.5)
    with running(make_app(state), limits) as (_, bound):
        silent = RawClient(bound)
        assert requests.get(f"http://127.0.0.1:{bound}/v1/ping", timeout=WAIT).ok
        assert silent.closed_by_server()


def test_kept_alive_and_pipelined_requests_are_all_answered(port: int) -> None:
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(f"http://127.0.0.1:{port}/v1/ping", timeout=WAIT).ok
    client = RawClient(port)
    client.send(get("/v1/ping") + post("2") + b"{}" + get("/v1/ping"))
    answers = [client.answer() for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert json.loads(answers[1].body) == {"length": 2}


def test_requests_beyond_workers_and_queue_get_busy_without_new_threads(
        state: AppState) -> None:
    limits = HttpLimits(workers=2, queue=1)
    with running(make_app(state), limits) as (server, bound):
        threads_before = threading.active_count()
        served = [RawClient(bound) for _ in range(2)]
        for client in served:
            client.send(get("/v1/block"))
        for _ in served:  # both workers are inside the app now
            assert state.entered.acquire(timeout=WAIT)
        queued = RawClient(bound)
        queued.send(get("/v1/block"))
        assert server.wait_queued(1, WAIT)
        refused = RawClient(bound)
        answer = refused.request(get("/v1/block"))
        assert answer.status == 503
        assert answer.error["code"] == "busy"
        assert answer.headers["Retry-After"] == "1"
        assert refused.closed_by_server()
        assert threading.active_count() == threads_before
        state.release.set()
        for client in [*served, queued]:
            assert client.answer().status == 200


def test_websockets_take_no_worker_and_have_a_cap_of_their_own(state: AppState) -> None:
    limits = HttpLimits(workers=1, queue=1, max_websockets=3)
    with running(make_app(state), limits) as (server, bound):
        sockets = [RawClient(bound) for _ in range(3)]
        for ws in sockets:
            assert ws.request(ws_upgrade()).status == 101
        # three open WebSockets, one worker: the REST API still answers
        assert requests.get(f"http://127.0.0.1:{bound}/v1/ping", timeout=WAIT).ok
        fourth = RawClient(bound)
        answer = fourth.request(ws_upgrade())
        assert answer.status == 503
        assert answer.error["code"] == "too_many_websockets"
        assert answer.headers["Retry-After"]
        assert fourth.closed_by_server()
        sockets[0].close()  # its slot comes back once its thread has seen it go
        assert server.wait_websockets(2, WAIT)
        assert RawClient(bound).request(ws_upgrade()).status == 101


def test_the_host_holds_a_thousand_websockets_with_two_workers(state: AppState) -> None:
    limits = HttpLimits(workers=2, queue=4)
    with running(make_app(state), limits) as (server, bound):
        sockets = []
        for _ in range(1000):
            ws = RawClient(bound)
            assert ws.request(ws_upgrade()).status == 101
            sockets.append(ws)
        assert requests.get(f"http://127.0.0.1:{bound}/v1/ping", timeout=WAIT).ok
        assert server.wait_websockets(1000, WAIT)
    for ws in sockets:  # the host stopped: each got its close frame (1001)
        assert ws.fp.read(4) == b"\x88\x0c\x03\xe9"  # 1001, "Going away"
        ws.close()
