"""An agency app against a real host, for the real-time tests: signed REST calls, a real
upload to SeaweedFS, and a real WebSocket (the `websockets` client), all signed with the
hub's time (which a test may move forward through the host's clock-offset file)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from tests.support.signing import sign

Frame = dict[str, Any]


class OffsetFile:
    """The seconds the host adds to its clock (`LGSP_CLOCK_OFFSET_FILE`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def seconds(self) -> int:
        return int(self.path.read_text() or 0) if self.path.exists() else 0

    def advance(self, seconds: int) -> None:
        self.path.write_text(str(self.seconds + seconds))

    def now(self) -> int:
        return int(time.time()) + self.seconds


class HubApp:
    def __init__(self, url: str, app: dict[str, Any], clock: Callable[[], int]) -> None:
        self.url, self.app, self.clock = url, app, clock

    def _signed(self, method: str, url: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> dict[str, str]:
        return sign(method, url, key_id=self.app["access_key"], secret=self.app["secret_key"],
                    body=body, created=self.clock(), headers=headers or {})

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if data else {}
        res = requests.request(method, self.url + path, data=data or None, timeout=30,
                               headers=self._signed(method, self.url + path, data, headers))
        return res.status_code, (res.json() if res.content else None)

    def send(self, data: bytes, to: str, **policy: int) -> str:
        """Create, upload straight to the store, complete: the message id."""
        status, created = self.call("POST", "/v1/messages", {
            "to": [to], "title": "Thông báo", "priority": "khan", "policy": policy,
            "content": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                        "file_name": "tb.txt", "content_type": "text/plain"}})
        assert status == 201, created
        for req in created["upload"]["requests"]:
            put = requests.put(req["url"], data=data, headers=req["headers"], timeout=30)
            assert put.status_code == 200, put.text
        message_id = str(created["message"]["id"])
        status, done = self.call("POST", f"/v1/messages/{message_id}/complete", {})
        assert status == 200 and done["message"]["state"] == "verified", done
        return message_id

    def websocket(self) -> Socket:
        """A signed connection; use it as a context manager (`with app.websocket() as ws`)."""
        ws_url = self.url.replace("http://", "ws://") + "/ws"
        headers = self._signed("GET", self.url + "/ws")
        return Socket(connect(ws_url, additional_headers=headers, open_timeout=10))


class Socket:
    """A WebSocket whose frames a test waits for by type, in any order: frames received
    while waiting for another are kept for later."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.kept: list[Frame] = []

    def send(self, action: str) -> None:
        self.conn.send(json.dumps({"action": action}))

    def wait_for(self, kind: str, *, timeout: float = 20, **fields: Any) -> Frame:
        """The first frame of type `kind` whose fields match."""
        def matches(frame: Frame) -> bool:
            return frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items())

        for frame in self.kept:
            if matches(frame):
                self.kept.remove(frame)
                return frame
        end = time.monotonic() + timeout
        while True:
            frame = json.loads(self.conn.recv(timeout=max(0.01, end - time.monotonic())))
            if matches(frame):
                return frame
            self.kept.append(frame)

    def heartbeat(self) -> None:
        self.send("heartbeat")
        self.wait_for("heartbeat")

    def __enter__(self) -> Socket:
        self.conn.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
