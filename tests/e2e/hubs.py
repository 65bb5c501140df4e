"""Three real hubs on one machine (issue 15, R-PROP-10), for the federation e2e tests: each
a `make run` host (`python -m infra.local.host`) with its own `var/` (SQLite table,
SeaweedFS store, keys), `LGSP_FEDERATION_ALLOW_HTTP=1` and `LGSP_PUBLIC_URL` its own
loopback URL, started together (start-up is the slowest of the three, not their sum).

- A, our province: unit `000.00.01.H02`; knows B as `h31` by its JWKS URL (route `H31`)
  and C as `ndxp` by C's key as a static JWK (route `*`, the default);
- B, another province: unit `000.00.01.H31`; knows A as `h02` (`H02`), C as `ndxp` (`G`);
- C, the national platform: a ministry's unit `000.00.00.G14`; knows A as `h02` (`H02`)
  and B as `h31` (`H31`); B and C register the others by their JWKS URLs.

    def test_something(three_hubs: ThreeHubs) -> None:
        a, b = three_hubs.a, three_hubs.b
        sender = a.client_for(a.unit)            # an app of A's unit, an lgsp_client
        a.operator.check_peer("h31")["known_as"]  # "h02"
        with three_hubs.stopped(b):             # B down for a while, then up again
            ...

The fixture `three_hubs` is module-scoped: a module gets its three hubs once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.launcher import LocalHub, host_in
from lgsp_client.api import LgspClient

OPERATOR_UNIT = "000.00.30.H99"  # each host's demo operator (infra/local/demo.py)


@dataclass
class Hub:
    """One of the three: its host, its own unit, and how it names the other two."""

    name: str  # "a", "b", "c"
    host: LocalHub
    unit: str  # a unit registered here (000.00.01.H02 on A)
    peer_ids: dict[str, str] = field(default_factory=dict)  # other hub's name -> our id
    _apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> credentials

    @property
    def url(self) -> str:
        return self.host.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def jwks(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = requests.get(self.jwks_url, timeout=10).json()["keys"]
        return keys

    @property
    def operator(self) -> LgspClient:
        """The demo operator app of this hub (`000.00.30.H99`)."""
        app = next(a for a in self.host.apps if a["unit"] == OPERATOR_UNIT)
        return LgspClient(self.url, app["access_key"], app["secret_key"])

    def add_unit(self, code: str, name: str) -> None:
        self.operator.call("POST", "/v1/admin/units", body={"code": code, "name": name},
                           retry=False)

    def credentials_for(self, code: str) -> dict[str, Any]:
        """An app of unit `code` (registered here), created once, with its HMAC keys."""
        if code not in self._apps:
            created = self.operator.call("POST", f"/v1/admin/units/{code}/apps",
                                         body={"name": f"Phần mềm văn bản {code}"},
                                         retry=False)
            self._apps[code] = dict(created["credentials"])
        return self._apps[code]

    def client_for(self, code: str) -> LgspClient:
        creds = self.credentials_for(code)
        return LgspClient(self.url, creds["access_key"], creds["secret_key"])


@dataclass
class ThreeHubs:
    a: Hub
    b: Hub
    c: Hub

    def __iter__(self) -> Iterator[Hub]:
        return iter((self.a, self.b, self.c))

    def hub(self, name: str) -> Hub:
        return {"a": self.a, "b": self.b, "c": self.c}[name]

    @contextmanager
    def stopped(self, hub: Hub) -> Iterator[None]:
        """`hub` down (its process and store stopped, nothing lost), then started again
        on the same ports and data."""
        hub.host.stop()
        try:
            yield
        finally:
            hub.host.start()


# name, level-1 part, its unit, its unit's name
LAYOUT = (("a", "000.00.01.H02", "Sở Tài chính tỉnh A"),
          ("b", "000.00.01.H31", "Sở Tài chính tỉnh B"),
          ("c", "000.00.00.G14", "Bộ Tài chính (nền tảng quốc gia, thử nghiệm)"))
# (who registers, whom, as which id, key by "jwks" or "jwk", route patterns to it)
PEERINGS = (("a", "b", "h31", "jwks", ("H31",)), ("a", "c", "ndxp", "jwk", ("*",)),
            ("b", "a", "h02", "jwks", ("H02",)), ("b", "c", "ndxp", "jwks", ("G",)),
            ("c", "a", "h02", "jwks", ("H02",)), ("c", "b", "h31", "jwks", ("H31",)))


def start_three(root: Path, **settings: str) -> ThreeHubs:
    """Start A, B and C at once, each in `root/<name>/var` with extra `LGSP_*`
    `settings`, and register their units."""
    hosts = {}
    for name, _, _ in LAYOUT:
        (root / name).mkdir(parents=True, exist_ok=True)
        host = host_in(root / name / "var", LGSP_FEDERATION_ALLOW_HTTP="1", **settings)
        host.env["LGSP_PUBLIC_URL"] = host.url
        hosts[name] = host
    made = ThreeHubs(*(Hub(name, hosts[name], code) for name, code, _ in LAYOUT))
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda h: h.start(), hosts.values()))
        for name, code, unit_name in LAYOUT:
            made.hub(name).add_unit(code, unit_name)
    except BaseException:
        stop_all(made)
        raise
    return made


def wire(hubs: ThreeHubs) -> None:
    """Each hub registers the other two and routes their codes to them (`PEERINGS`)."""
    for who, whom, peer_id, key, patterns in PEERINGS:
        hub, other = hubs.hub(who), hubs.hub(whom)
        key_field: dict[str, Any] = ({"jwks_url": other.jwks_url} if key == "jwks"
                                     else {"public_jwk": other.jwks()[0]})
        hub.operator.create_peer({"id": peer_id, "name": f"LGSP {whom.upper()}",
                                  "base_url": other.url, **key_field})
        hub.peer_ids[whom] = peer_id
        for pattern in patterns:
            hub.operator.add_route(pattern, peer_id)


def stop_all(hubs: ThreeHubs) -> None:
    """Stop the hubs still running, together (a store takes seconds to stop)."""
    running = [hub.host for hub in hubs if hub.host.proc is not None]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda h: h.stop(), running))


@pytest.fixture(scope="module")
def three_hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreeHubs]:
    """A, B and C started, their units registered, wired to each other."""
    hubs = start_three(tmp_path_factory.mktemp("three-hubs"))
    try:
        wire(hubs)
        yield hubs
    finally:
        stop_all(hubs)


def log_lines(hub: Hub, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of `event` in the hub's host log (`lgsp.federation ...`)."""
    found = []
    for line in hub.host.log_file.read_text(errors="replace").splitlines():
        start = line.find("{")
        if event in line and start >= 0:
            try:
                found.append(json.loads(line[start:]))
            except ValueError:
                continue
    return found
