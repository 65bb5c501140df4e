"""A receiver of webhooks for the e2e tests: a real HTTP server on loopback that checks
every delivery with the published helper (`lgsp_client.webhooks.verify_webhook`), keeps
what it verified, counts every delivery of each event id, and can be taken down and
brought back on the same port."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lgsp_client.webhooks import WebhookVerificationError, verify_webhook
from tests.e2e.conftest import free_port


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.secrets: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}  # event id -> the verified event
        self.deliveries: Counter[str] = Counter()  # event id -> deliveries verified
        self.refused: list[str] = []  # reasons of deliveries that did not verify
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lgsp-hooks"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    event = verify_webhook(receiver.secrets, dict(self.headers), body)
                except WebhookVerificationError as exc:
                    with receiver._lock:
                        receiver.refused.append(exc.reason)
                    self.send_response(400)
                else:
                    with receiver._lock:
                        receiver.events.setdefault(event["id"], event)
                        receiver.deliveries[event["id"]] += 1
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events.values() if e["type"] == kind]


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within `seconds` (polled: the hub delivers in the
    background)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.2)  # polling for a background delivery, bounded by the deadline
    return True
