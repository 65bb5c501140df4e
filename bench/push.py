"""Push latency (R-COMP-5, R-PROP-4): how soon a destination connected over WebSocket
hears of a message, against the `make run` host with its real backends.

For each 1 KiB message the source creates it and uploads it; then, in one loop:
- `push`: from sending `complete` to the destination receiving `message.available`;
- `complete`: the `complete` round trip itself (it verifies the content and delivers);
- `after_complete`: from the source's `complete` answer to the destination's frame;
- `poll`: one signed `GET /v1/inbox` round trip, the least a polling receiver pays per
  look (and it would still have to guess when to look).
Reported as medians with the ratios push/complete and push/poll from the same run.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from infra.local.launcher import LocalHub, host_in
from lgsp_client.api import LgspClient

SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"


def _client(hub: LocalHub, unit: str) -> LgspClient:
    app = next(a for a in hub.apps if a["unit"] == unit)
    return LgspClient(hub.url, app["access_key"], app["secret_key"])


def _prepare(source: LgspClient, data: bytes) -> str:
    created = source.create_message({
        "to": [DEST], "title": "bench", "priority": "khan",
        "content": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "file_name": "bench.bin"}})
    for req in created["upload"]["requests"]:
        requests.put(req["url"], data=data, headers=req["headers"], timeout=30
                     ).raise_for_status()
    return str(created["message"]["id"])


@contextmanager
def listening(hub: LocalHub, dest: LgspClient) -> Iterator[ClientConnection]:
    """`dest`'s WebSocket, open and synced: the next frames are new events."""
    ws_url = hub.url.replace("http://", "ws://") + "/ws"
    assert dest.auth is not None
    with connect(ws_url, additional_headers=dest.auth.sign_headers("GET", ws_url)) as ws:
        ws.send(json.dumps({"action": "sync"}))
        json.loads(ws.recv(timeout=10))
        yield ws


def _measure(hub: LocalHub, messages: int) -> dict[str, list[float]]:
    source, dest = _client(hub, SOURCE), _client(hub, DEST)
    raw: dict[str, list[float]] = {"push_ms": [], "complete_ms": [], "after_complete_ms": [],
                                   "poll_ms": []}
    with listening(hub, dest) as ws:
        for n in range(messages):
            message_id = _prepare(source, n.to_bytes(4, "big") * 256)
            started = time.perf_counter()
            source.complete(message_id)
            completed = time.perf_counter()
            while True:
                frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
                if frame.get("message_id") == message_id:
                    break
            heard = time.perf_counter()
            dest.inbox(limit=1)
            polled = time.perf_counter()
            raw["push_ms"].append((heard - started) * 1000)
            raw["complete_ms"].append((completed - started) * 1000)
            raw["after_complete_ms"].append((heard - completed) * 1000)
            raw["poll_ms"].append((polled - heard) * 1000)
    return raw


def run(messages: int = 30, var: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-") as tmp:
        hub = host_in(var or Path(tmp) / "var")
        hub.start()
        try:
            raw = _measure(hub, messages)
        finally:
            hub.stop()
    med = {name: round(statistics.median(values), 2) for name, values in raw.items()}
    return {"messages": messages, "median_ms": med,
            "push_over_complete": round(med["push_ms"] / med["complete_ms"], 2),
            "push_over_poll": round(med["push_ms"] / med["poll_ms"], 2),
            "raw_ms": {k: [round(v, 2) for v in vs] for k, vs in raw.items()}}
