"""SCALE (issue 17): a message to 1,000 destinations, and 1,000 WebSocket connections each
hearing of it, against the `make run` host with its real backends (SeaweedFS, SQLite).

Setup, as an operator would do it: the units go in through the hub's import
(`POST /v1/admin/units/import`), then each gets an app (`POST /v1/admin/units/{code}/apps`,
a few operator clients in parallel). Then, in the same run:

- **fan-out**: the demo source sends one 1 KiB message to 1, 10, 100 and N of them (the `to`
  list: `LGSP_MAX_DESTINATIONS` is 2,000). Timed: the hub's two calls whose work grows
  with the destinations, `POST /v1/messages` (each destination checked) and `complete`
  (verified, then every delivery and inbox entry written, in batches, before it answers);
  the upload is the same for any N and is left out. Afterwards every delivery is read back
  (`GET /v1/messages/{id}` and its delivery pages): N of them, each `available`; and the
  first message to all N is looked for in each destination's inbox, by its own app.
- **push**: one signed WebSocket per unit (its own app, `bench.scale_push`), synced; the
  source sends to 1, 10, 100 of them and to all N; timed from sending `complete` to the last
  connection's `message.available`.

Per destination and per connection are the times divided by N; the ratio N against 1 must
be at most 1 (linear or better). Since one destination carries the fixed cost of a call,
the marginal cost (the slope between 100 and N against the slope between 10 and 100) is
reported beside it: a growth worse than linear shows there first.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import SOURCE, client_for, median, rounded, running_hub
from infra.local.launcher import LocalHub
from lgsp_client.api import LgspClient

OPERATOR = "000.00.30.H99"  # the demo host's operator unit
PROVINCE_PART = "40.H99"  # a department of the demo province: its communes are the units
APP_WORKERS = 8  # operator clients creating apps in parallel


def unit_codes(count: int) -> list[str]:
    """`count` distinct level-4 codes (`001.01.40.H99` ...), 999 to each level-3 part."""
    return [f"{i % 999 + 1:03d}.{i // 999 + 1:02d}.{PROVINCE_PART}" for i in range(count)]


def register(hub: LocalHub, count: int) -> tuple[list[LgspClient], dict[str, float]]:
    """`count` units imported at once and one app each; their clients, and the seconds the
    import and the apps took."""
    operator = client_for(hub, OPERATOR)
    codes = unit_codes(count)
    rows = [{"code": code, "name": f"Xã thử nghiệm {n + 1}"} for n, code in enumerate(codes)]
    started = time.perf_counter()
    report = operator.call("POST", "/v1/admin/units/import",
                           body={"format": "json", "data": json.dumps(rows), "dry_run": False})
    imported = time.perf_counter()
    if report["imported"] != count:
        raise RuntimeError(f"import wrote {report['imported']} of {count}: {report['errors']}")
    chunks = [codes[n::APP_WORKERS] for n in range(APP_WORKERS)]
    with ThreadPoolExecutor(APP_WORKERS) as pool:
        made = list(pool.map(lambda chunk: _apps(hub, chunk), chunks))
    by_code = {code: client for part in made for code, client in part}
    seconds = {"import_s": imported - started, "apps_s": time.perf_counter() - imported}
    return [by_code[code] for code in codes], seconds


def _apps(hub: LocalHub, codes: Sequence[str]) -> list[tuple[str, LgspClient]]:
    """One app per unit, created by an operator client of this thread's own."""
    operator = client_for(hub, OPERATOR)
    out = []
    for code in codes:
        creds = operator.create_unit_app(code, "Phần mềm một cửa (thử nghiệm)")["credentials"]
        out.append((code, LgspClient(hub.url, creds["access_key"], creds["secret_key"])))
    return out


def prepared(source: LgspClient, to: Sequence[str], n: int) -> tuple[str, float]:
    """A message to `to`, its content uploaded: its id and the seconds the hub took to
    create it (the upload is not counted)."""
    data = n.to_bytes(4, "big") * 256
    started = time.perf_counter()
    created = source.create_message({
        "to": list(to), "title": f"Thông báo thử nghiệm {n}", "priority": "khan",
        "content": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "file_name": "thong-bao.bin"}})
    create_s = time.perf_counter() - started
    for req in created["upload"]["requests"]:
        requests.put(req["url"], data=data, headers=req["headers"], timeout=30
                     ).raise_for_status()
    return str(created["message"]["id"]), create_s


def delivered(source: LgspClient, message_id: str, to: Sequence[str]) -> None:
    """Every destination has its delivery, `available`; else the run is void."""
    status = source.message_status(message_id, every_page=True)
    states = {d["unit"]: d["state"] for d in status["deliveries"]}
    missing = [u for u in to if states.get(u) != "available"]
    if missing or len(states) != len(to):
        raise RuntimeError(f"{message_id}: {len(missing)} of {len(to)} destinations without "
                           f"an available delivery (e.g. {missing[:3]})")


def in_every_inbox(clients: Sequence[LgspClient], message_id: str) -> None:
    """Each destination, signing as its own app, finds the message in its inbox."""
    def missing(chunk: Sequence[LgspClient]) -> int:
        return sum(all(i["id"] != message_id for i in c.inbox(limit=100)["items"])
                   for c in chunk)

    with ThreadPoolExecutor(APP_WORKERS) as pool:
        lacking = sum(pool.map(missing, [clients[n::APP_WORKERS] for n in range(APP_WORKERS)]))
    if lacking:
        raise RuntimeError(f"{message_id}: not in {lacking} of {len(clients)} inboxes")


def fan_out(source: LgspClient, clients: Sequence[LgspClient], units: Sequence[str],
            sizes: Sequence[int], repetitions: int) -> dict[int, dict[str, list[float]]]:
    """Seconds of `POST /v1/messages` and `complete` for a message to the first n units,
    for each n of `sizes`, interleaved so a noisy moment hits every size alike; the first
    message to the most is also looked for in each of their inboxes."""
    raw: dict[int, dict[str, list[float]]] = {
        n: {"create_s": [], "complete_s": [], "total_s": []} for n in sizes}
    counter = 0
    warm_up, _ = prepared(source, units[:1], counter)  # the first call of a process is slow
    source.complete(warm_up)
    for rep in range(repetitions):
        for n in sizes:
            counter += 1
            to = units[:n]
            message_id, create_s = prepared(source, to, counter)
            started = time.perf_counter()
            source.complete(message_id)
            complete_s = time.perf_counter() - started
            delivered(source, message_id, to)
            if rep == 0 and n == sizes[-1]:
                in_every_inbox(clients[:n], message_id)
            raw[n]["create_s"].append(create_s)
            raw[n]["complete_s"].append(complete_s)
            raw[n]["total_s"].append(create_s + complete_s)
    return raw


def sizes_up_to(largest: int) -> list[int]:
    """1, 10, 100 ... below `largest`, and `largest`: each step a multiple of the last."""
    out, n = [], 1
    while n < largest:
        out.append(n)
        n *= 10
    return [*out, largest]


def growth(seconds: dict[int, float]) -> dict[str, Any]:
    """From the median seconds for each size: ms per unit of size, the ratio largest/1,
    the marginal ms per unit between consecutive sizes, and the last of those against the
    one before (above 1: each added unit costs more than the ones before it did, the
    first sign of a growth worse than linear; 1 and 10 destinations share one batch, so
    the first step says little)."""
    sizes = sorted(seconds)
    per = {n: seconds[n] / n * 1000 for n in sizes}
    steps = {f"{a}-{b}": (seconds[b] - seconds[a]) / (b - a) * 1000
             for a, b in zip(sizes, sizes[1:], strict=False)}
    slopes = list(steps.values())
    return {"per_ms": {str(n): round(per[n], 3) for n in sizes},
            "ratio": round(per[sizes[-1]] / per[sizes[0]], 4),
            "marginal_ms": {k: round(v, 3) for k, v in steps.items()},
            "marginal_ratio": (round(slopes[-1] / slopes[-2], 3)
                               if len(slopes) > 1 and slopes[-2] > 0 else None)}


def per_destination(raw: dict[int, dict[str, list[float]]]) -> dict[str, Any]:
    """Medians, ms per destination (create + complete), the ratio largest/1, the slopes."""
    sizes = sorted(raw)
    return {"destinations": sizes,
            "median_s": {str(n): {k: round(median(v), 4) for k, v in raw[n].items()}
                         for n in sizes},
            **growth({n: median(raw[n]["total_s"]) for n in sizes}),
            "raw_s": {str(n): {k: rounded(v) for k, v in raw[n].items()} for n in sizes}}


def run(destinations: int = 1000, connections: int = 1000, repetitions: int = 3,
        hub: LocalHub | None = None) -> dict[str, Any]:
    """Register max(destinations, connections) units on a fresh host (or `hub`), then
    time the fan-out and the push as the module says."""
    from bench import scale_push

    count = max(destinations, connections)
    with running_hub(hub) as running:
        clients, setup = register(running, count)
        units = unit_codes(count)
        source = client_for(running, SOURCE)
        sizes = sizes_up_to(destinations)
        fan = per_destination(fan_out(source, clients, units, sizes, repetitions))
        pushed = scale_push.run(running, source, clients[:connections],
                                units[:connections], repetitions)
    return {"units": count, "setup_s": {k: round(v, 2) for k, v in setup.items()},
            "fan_out": fan, "push": pushed,
            "met": fan["ratio"] <= 1 and pushed["ratio"] <= 1}
