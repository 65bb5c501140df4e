"""HOOK: how soon a webhook follows its change, against the WebSocket push of the same
event, on the `make run` host with its real backends (issue 16, R-PROP-8).

The destination's app holds a WebSocket and has a webhook endpoint for
`message.available` at a receiver on loopback (allowed by `LGSP_WEBHOOK_ALLOW_HTTP` and
`LGSP_WEBHOOK_ALLOW_PRIVATE`). For each 1 KiB message the source completes it, then:
- `push_ms`: from sending `complete` to the WebSocket frame;
- `webhook_ms`: from sending `complete` to the receiver's verified delivery.
Then a burst: `burst` messages completed back to back, and the time until the receiver
has every one of their webhooks (deliveries per second). Medians; the ratio
webhook/push from the same run.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.push import DEST, SOURCE, _client, _prepare, listening
from infra.local.launcher import free_port, host_in
from lgsp_client.webhooks import verify_webhook


class _Receiver:
    def __init__(self) -> None:
        self.port, self.secret = free_port(), ""
        self.arrived: dict[str, float] = {}  # message id -> when its webhook arrived
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                event = verify_webhook(receiver.secret, dict(self.headers), body)
                with receiver.changed:
                    receiver.arrived[event["data"]["message_id"]] = time.perf_counter()
                    receiver.changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, ids: list[str], timeout: float = 30) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: all(i in self.arrived for i in ids),
                                         timeout=timeout):
                raise TimeoutError(f"{len(ids)} webhooks did not all arrive in {timeout} s")
            return max(self.arrived[i] for i in ids)


def run(messages: int = 30, burst: int = 100) -> dict[str, Any]:
    receiver = _Receiver()
    raw: dict[str, list[float]] = {"push_ms": [], "webhook_ms": []}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-") as tmp:
        hub = host_in(Path(tmp) / "var", LGSP_WEBHOOK_ALLOW_HTTP="true",
                      LGSP_WEBHOOK_ALLOW_PRIVATE="127.0.0.0/8")
        hub.start()
        try:
            source, dest = _client(hub, SOURCE), _client(hub, DEST)
            made = dest.create_webhook(f"http://127.0.0.1:{receiver.port}/hooks",
                                       ["message.available"])
            receiver.secret = made["secret"]
            with listening(hub, dest) as ws:
                for n in range(messages):
                    message_id = _prepare(source, n.to_bytes(4, "big") * 256)
                    started = time.perf_counter()
                    source.complete(message_id)
                    while json.loads(ws.recv(timeout=10)).get("message_id") != message_id:
                        pass
                    pushed = time.perf_counter()
                    arrived = receiver.wait_for([message_id])
                    raw["push_ms"].append((pushed - started) * 1000)
                    raw["webhook_ms"].append((arrived - started) * 1000)
            ids = [_prepare(source, (10_000 + n).to_bytes(4, "big") * 256)
                   for n in range(burst)]
            started = time.perf_counter()
            for message_id in ids:
                source.complete(message_id)
            completed = time.perf_counter()
            last = receiver.wait_for(ids, timeout=120)
        finally:
            hub.stop()
            receiver.server.shutdown()
    med = {name: round(statistics.median(values), 2) for name, values in raw.items()}
    return {"messages": messages, "median_ms": med,
            "webhook_over_push": round(med["webhook_ms"] / med["push_ms"], 2),
            "burst": {"messages": burst, "complete_s": round(completed - started, 2),
                      "all_delivered_s": round(last - started, 2),
                      "deliveries_per_s": round(burst / (last - started), 1)},
            "raw_ms": {k: [round(v, 2) for v in vs] for k, vs in raw.items()}}
