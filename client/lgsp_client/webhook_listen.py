"""`lgsp webhooks listen`: a small local receiver for developers, to see what the hub
delivers before their own app does (issue 16, R-PROP-8; the hub's docs/webhooks.md).

Each POST is checked with `verify_webhook` (signature, age, event id) before its body is
read as JSON. One line per delivery: when it came, the event id, its type, and `verified`,
`duplicate` or the reason it was refused. A verified delivery is answered 204; a refused
one 400; an event id seen before is answered 204 again (so the hub stops retrying) but
printed `duplicate` and not handled twice: delivery is at least once. Bodies are never
printed or logged (`--show-data` prints a verified event's `data`, which carries ids,
priorities and sizes only). Standard library only (`http.server`).
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lgsp_client.webhooks import TOLERANCE_SECONDS, WebhookVerificationError, verify_webhook

MAX_BODY = 1 << 20          # the hub's events are a few hundred bytes
REMEMBERED = 10_000         # event ids kept for dropping repeats (oldest forgotten first)


@dataclass(frozen=True)
class Delivery:
    """What one POST was: `outcome` is `verified`, `duplicate` or a refusal's code."""

    at: float
    event_id: str
    event_type: str
    outcome: str
    status: int
    data: Any = None

    def line(self, *, show_data: bool = False) -> str:
        when = datetime.datetime.fromtimestamp(self.at, datetime.UTC)
        parts = [when.strftime("%Y-%m-%dT%H:%M:%SZ"), self.event_id, self.event_type,
                 self.outcome]
        if show_data and self.outcome == "verified":
            parts.append(json.dumps(self.data, ensure_ascii=False, separators=(",", ":")))
        return "  ".join(parts)


class Receiver:
    """Verifies deliveries and remembers the event ids already handled; thread-safe."""

    def __init__(self, secrets: Iterable[str], *, tolerance: int = TOLERANCE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.secrets = list(secrets)
        self.tolerance = tolerance
        self.clock = clock
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def receive(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        at = self.clock()
        claimed = {str(k).lower(): str(v) for k, v in headers.items()}.get("webhook-id")
        try:
            event = verify_webhook(self.secrets, headers, body, tolerance=self.tolerance,
                                   now=int(at))
        except WebhookVerificationError as exc:
            return Delivery(at, _shown(claimed), "-", exc.code, 400)
        event_id, event_type = str(event["id"]), _shown(event.get("type"))
        with self._lock:
            if event_id in self._seen:
                return Delivery(at, event_id, event_type, "duplicate", 204)
            self._seen[event_id] = None
            if len(self._seen) > REMEMBERED:
                self._seen.popitem(last=False)
        return Delivery(at, event_id, event_type, "verified", 204, event.get("data"))

    def refused(self, headers: Mapping[str, str], outcome: str, status: int) -> Delivery:
        """A request turned away before it could be verified (too large, not a POST)."""
        claimed = {str(k).lower(): str(v) for k, v in headers.items()}.get("webhook-id")
        return Delivery(self.clock(), _shown(claimed), "-", outcome, status)


def _shown(value: Any) -> str:
    """A value from the request as one printable word (it may be anything)."""
    text = "".join(c if c.isprintable() and not c.isspace() else "?" for c in str(value or ""))
    return text[:80] or "-"


def make_server(receiver: Receiver, host: str, port: int,
                emit: Callable[[Delivery], None]) -> ThreadingHTTPServer:
    """An HTTP server bound to `host:port` (0: any free port) that hands each request to
    `receiver` and `emit`s what it was; call `serve_forever()` on it."""

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._answer(receiver.refused(dict(self.headers.items()), "too_large", 413))
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            self._answer(receiver.receive(dict(self.headers.items()), body))

        def _other(self) -> None:
            refused = receiver.refused(dict(self.headers.items()), f"method_{self.command}",
                                       405)
            self._answer(refused, {"Allow": "POST"})

        do_GET = do_PUT = do_PATCH = do_DELETE = _other

        def _answer(self, delivery: Delivery, headers: Mapping[str, str] | None = None
                    ) -> None:
            emit(delivery)
            self.send_response(delivery.status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if delivery.status == 204:
                self.end_headers()
                return
            text = json.dumps({"error": {"code": delivery.outcome,
                                         "message": "not a verified delivery"}}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # one line per delivery is printed by `emit`, nothing else

    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server
