"""SCALE's push half: N WebSocket connections, one per unit, each opened with its unit's
app's signature and synced as a client does, heartbeating as the summary asks; then
messages to 1 and to all N of them, timed from sending `complete` to the last
connection's `message.available`.

The client side is one asyncio loop (the `websockets` library): 1,000 sockets, no thread
each. Handshakes go a few at a time (`OPENING`), as a province's apps would reconnect
after a restart, not all in the same millisecond. The calls of the source run on a thread
so the loop keeps reading frames while they wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench import scale
from bench.common import median, rounded
from infra.local.launcher import LocalHub
from lgsp_client.api import LgspClient

OPENING = 16  # handshakes in flight at once
WAIT_S = 300.0  # the most a run may wait for its last push


class Arrivals:
    """When each connection heard of each message (`perf_counter`)."""

    def __init__(self) -> None:
        self.heard: dict[str, dict[int, float]] = defaultdict(dict)
        self._waits: dict[str, tuple[int, asyncio.Event]] = {}

    def record(self, message_id: str, connection: int) -> None:
        self.heard[message_id].setdefault(connection, time.perf_counter())
        wait = self._waits.get(message_id)
        if wait is not None and len(self.heard[message_id]) >= wait[0]:
            wait[1].set()

    async def all_of(self, message_id: str, expected: int) -> dict[int, float]:
        done = asyncio.Event()
        self._waits[message_id] = (expected, done)
        if len(self.heard[message_id]) >= expected:
            done.set()
        try:
            await asyncio.wait_for(done.wait(), WAIT_S)
        except TimeoutError:
            raise RuntimeError(f"{message_id}: {len(self.heard[message_id])} of {expected} "
                               f"connections heard of it in {WAIT_S} s") from None
        return self.heard.pop(message_id)


async def _open(url: str, client: LgspClient, gate: asyncio.Semaphore) -> tuple[
        ClientConnection, int]:
    """One signed, synced connection and the heartbeat period its summary gives."""
    assert client.auth is not None
    async with gate:
        ws = await connect(url, additional_headers=client.auth.sign_headers("GET", url),
                           open_timeout=120)
        await ws.send(json.dumps({"action": "sync"}))
        summary = json.loads(await asyncio.wait_for(ws.recv(), 60))
    return ws, int(summary["heartbeat_seconds"])


async def _read(ws: ClientConnection, number: int, arrivals: Arrivals) -> None:
    with contextlib.suppress(Exception):  # the connection closing ends the reader
        async for raw in ws:
            frame: dict[str, Any] = json.loads(raw)
            if frame.get("type") == "message.available":
                arrivals.record(str(frame["message_id"]), number)


async def _heartbeat(ws: ClientConnection, period: int) -> None:
    with contextlib.suppress(Exception):
        while True:
            await asyncio.sleep(period)  # the period the hub asked for, not a timing
            await ws.send(json.dumps({"action": "heartbeat"}))


async def _one_run(source: LgspClient, units: Sequence[str], arrivals: Arrivals,
                   n: int) -> dict[str, float]:
    message_id, _ = await asyncio.to_thread(scale.prepared, source, units, n)
    started = time.perf_counter()
    await asyncio.to_thread(source.complete, message_id)
    completed = time.perf_counter()
    heard = await arrivals.all_of(message_id, len(units))
    if sorted(heard) != list(range(len(units))):
        raise RuntimeError(f"{message_id}: heard by connections other than its units'")
    return {"complete_s": completed - started, "first_push_s": min(heard.values()) - started,
            "last_push_s": max(heard.values()) - started}


async def _measure(hub: LocalHub, source: LgspClient, clients: Sequence[LgspClient],
                   units: Sequence[str], repetitions: int) -> dict[str, Any]:
    url = hub.url.replace("http://", "ws://") + "/ws"
    gate, arrivals = asyncio.Semaphore(OPENING), Arrivals()
    started = time.perf_counter()
    opened = await asyncio.gather(*(_open(url, c, gate) for c in clients))
    open_s = time.perf_counter() - started
    tasks = [asyncio.create_task(_read(ws, n, arrivals)) for n, (ws, _) in enumerate(opened)]
    tasks += [asyncio.create_task(_heartbeat(ws, period)) for ws, period in opened]
    sizes = scale.sizes_up_to(len(clients))
    raw: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    try:
        await _one_run(source, units[:1], arrivals, 0)  # warm-up, not counted
        for rep in range(repetitions):  # interleaved, as the fan-out's sizes are
            for n in sizes:
                raw[n].append(await _one_run(source, units[:n], arrivals, n * 100 + rep))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws, _ in opened), return_exceptions=True)
    return {"open_s": open_s, "raw": raw}


def run(hub: LocalHub, source: LgspClient, clients: Sequence[LgspClient],
        units: Sequence[str], repetitions: int) -> dict[str, Any]:
    """Connections for `clients` (of `units`, in the same order), the runs to 1, 10, 100
    ... and all of them, and the figures: medians, ms per connection (to the last push), the ratio
    all/1 and the marginal ms per connection."""
    measured = asyncio.run(_measure(hub, source, clients, units, repetitions))
    raw = measured["raw"]
    med = {n: {k: median([r[k] for r in runs]) for k in runs[0]} for n, runs in raw.items()}
    return {
        "connections": sorted(raw), "open_s": round(measured["open_s"], 2),
        "median_s": {str(n): {k: round(v, 4) for k, v in m.items()} for n, m in med.items()},
        **scale.growth({n: m["last_push_s"] for n, m in med.items()}),
        "raw_s": {str(n): {k: rounded([r[k] for r in runs]) for k in runs[0]}
                  for n, runs in raw.items()},
    }
