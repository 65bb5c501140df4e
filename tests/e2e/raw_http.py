"""Raw HTTP/1.1 over a plain socket, for tests of the local host's edge: requests no
client library would send (negative lengths, unknown verbs, stalls), and answers read
byte by byte so a test can tell when the server closed the connection.

Every wait is bounded by the socket's timeout (`WAIT`); nothing sleeps."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any

from chalice import Chalice
from chalice.app import WebsocketEvent

from infra.local.host import HubServer, make_server
from infra.local.http_connection import HttpLimits
from infra.local.processes import free_port
from infra.local.ws_sigv4 import ManagementAuth

WAIT = 10.0  # upper bound of every wait
AUTH = ManagementAuth("LGSPWSEDGE0001", "edge-management-secret", region="ap-southeast-1")


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def error(self) -> dict[str, Any]:
        """The project's error body, checked for its shape on the way."""
        assert self.headers.get("Content-Type", "").startswith("application/json"), self
        data = json.loads(self.body)
        assert set(data) == {"error"}, data
        error: dict[str, Any] = data["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str), error
        return error


class RawClient:
    """One TCP connection to the host, driven byte by byte."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.fp = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self, *, head: bool = False) -> Answer:
        """The next answer on the connection (an interim 100 Continue is one too)."""
        line = self.fp.readline(65537)
        if not line:
            raise EOFError("the server closed the connection without answering")
        status = int(line.split(b" ", 2)[1])
        headers = http.client.parse_headers(self.fp)
        length = int(headers.get("Content-Length", 0))
        body = b"" if head or status < 200 else self.fp.read(length)
        return Answer(status, headers, body)

    def request(self, raw: bytes, *, head: bool = False) -> Answer:
        self.send(raw)
        return self.answer(head=head)

    def closed_by_server(self) -> bool:
        """Whether the server ends the connection (waits for it, at most `WAIT`)."""
        try:
            return self.fp.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.fp.close()
        self.sock.close()


def get(path: str, method: str = "GET", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def ws_upgrade(path: str = "/ws") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return get(path, Upgrade="websocket", Connection="Upgrade", Sec_WebSocket_Key=key,
               Sec_WebSocket_Version="13")


class AppState:
    """What the test app saw, and a gate its `/v1/block` route waits on."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        self.echoed: list[int] = []


def make_app(state: AppState) -> Chalice:
    app = Chalice(app_name="edge-test")
    app.experimental_feature_flags.update(["WEBSOCKETS"])

    @app.route("/v1/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    @app.route("/v1/request-id")
    def request_id() -> dict[str, Any]:
        return {"request_id": app.current_request.context.get("requestId")}

    @app.route("/v1/echo", methods=["POST"], content_types=["*/*"])
    def echo() -> dict[str, int]:
        body = app.current_request.raw_body or b""
        state.echoed.append(len(body))
        return {"length": len(body)}

    @app.route("/v1/block")
    def block() -> dict[str, bool]:
        state.entered.release()
        return {"released": state.release.wait(WAIT)}

    @app.on_ws_connect()
    def on_connect(event: WebsocketEvent) -> dict[str, int]:
        return {"statusCode": 200}

    @app.on_ws_message()
    def on_message(event: WebsocketEvent) -> None:
        return None

    @app.on_ws_disconnect()
    def on_disconnect(event: WebsocketEvent) -> None:
        return None

    return app


@contextmanager
def running(app: Chalice, limits: HttpLimits | None = None) -> Iterator[tuple[HubServer, int]]:
    """A host serving `app` on a free port, stopped (WebSockets closed) on exit."""
    port = free_port()
    server = make_server(port, app=app, ws_auth=AUTH, ws_close_timeout=1.0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)
