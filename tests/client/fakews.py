"""An in-test stand-in for the hub's WebSocket, on a loopback port.

It checks each handshake as the hub does (an `lgsp` signature over `@method` and the
http form of the URL, with a nonce, verified by the library with the test keys), answers
`sync` with a summary and `heartbeat` with a heartbeat, and lets a test push frames, drop
the connection, or refuse the next handshakes with a status and error code.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from http_message_signatures import algorithms
from http_message_signatures.resolvers import MappingKeyResolver
from requests.structures import CaseInsensitiveDict
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from tests.client.fakehub import _NoClockVerifier


@dataclass
class View:
    method: str
    url: str
    headers: CaseInsensitiveDict[str]


@dataclass
class Handshake:
    """What the hub verified: the http(s) URL, the signature's parameters and coverage."""

    url: str
    parameters: dict[str, Any]
    covered: list[str]


@dataclass
class FakeWsHub:
    keys: dict[str, str]
    unit: str = "000.00.32.H99"
    heartbeat_seconds: Any = 60
    inbox: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    answer_sync: bool = True
    clock: Callable[[], float] = time.monotonic
    refuse: list[tuple[int, str]] = field(default_factory=list)
    url: str = ""
    handshakes: list[Handshake] = field(default_factory=list)
    attempts: int = 0
    frames: queue.Queue[tuple[int, dict[str, Any]]] = field(default_factory=queue.Queue)
    beats: queue.Queue[float] = field(default_factory=queue.Queue)
    closes: queue.Queue[tuple[int, int | None]] = field(default_factory=queue.Queue)
    live: list[ServerConnection] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the handshake ------------------------------------------------------------------

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            self.attempts += 1
            refused = self.refuse.pop(0) if self.refuse else None
        if refused is not None:
            return _error(connection, *refused)
        path, _, query = request.path.partition("?")
        pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        canonical = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
        url = f"http://{request.headers['Host']}{path}" + (f"?{canonical}" if canonical else "")
        verifier = _NoClockVerifier(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(
                public_keys={k: s.encode() for k, s in self.keys.items()}, private_keys={}))
        try:
            [result] = verifier.verify(View("GET", url, _headers(request.headers)),
                                       max_age=None, require_components=["@method",
                                                                         "@target-uri"])
        except Exception:
            return _error(connection, 401, "signature_invalid")
        if not result.parameters.get("nonce"):
            return _error(connection, 401, "nonce_required")
        self.handshakes.append(Handshake(url, dict(result.parameters),
                                         list(result.covered_components)))
        return None

    # -- frames -------------------------------------------------------------------------

    def handler(self, ws: ServerConnection) -> None:
        with self._lock:
            number = len(self.live)
            self.live.append(ws)
        try:
            for raw in ws:
                frame = json.loads(raw)
                self.frames.put((number, frame))
                if frame.get("action") != "sync" or self.answer_sync:
                    ws.send(json.dumps(self.answer(number, frame), ensure_ascii=False))
        except ConnectionClosed:
            pass
        close = ws.protocol.close_rcvd
        self.closes.put((number, close.code if close else None))

    def answer(self, number: int, frame: dict[str, Any]) -> dict[str, Any]:
        if frame.get("action") == "sync":
            return self.summary(number)
        if frame.get("action") == "heartbeat":
            self.beats.put(self.clock())
            return {"type": "heartbeat", "server_time": "2030-01-01T00:00:00Z"}
        return {"type": "error", "code": "unknown_action", "message": "sync or heartbeat"}

    def summary(self, number: int) -> dict[str, Any]:
        return {"type": "summary", "unit": self.unit, "app": "app-1", "connection_id": f"C{number}",
                "server_time": "2030-01-01T00:00:00Z",
                "heartbeat_seconds": self.heartbeat_seconds,
                "inbox": {"items": list(self.inbox), "more": self.more},
                "outbox": {"items": list(self.outbox), "more": False}}

    def push(self, frame: dict[str, Any] | str) -> None:
        """Send a frame (a dict as JSON, a str as it is) on the newest connection."""
        self.live[-1].send(frame if isinstance(frame, str) else json.dumps(frame))

    def drop(self, code: int = 1001) -> None:
        self.live[-1].close(code)


def _headers(headers: Headers) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict(dict(headers.raw_items()))


def _error(connection: ServerConnection, status: int, code: str) -> Response:
    response = connection.respond(status, json.dumps(
        {"error": {"code": code, "message": f"refused: {code}", "request_id": "r1"}}))
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response


@contextmanager
def serve_ws(hub: FakeWsHub) -> Iterator[FakeWsHub]:
    """Serve `hub` on 127.0.0.1 at `/ws` until the block exits."""
    server = serve(hub.handler, "127.0.0.1", 0, process_request=hub.process_request)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/ws"
    try:
        yield hub
    finally:
        server.shutdown()
        thread.join()


def free_port_url() -> str:
    """A ws:// URL nobody listens on (the port was just released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{s.getsockname()[1]}/ws"
