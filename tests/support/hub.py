"""A hub wired for tests, driven through `chalice.test.Client` with signed requests."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.adapters.secretbox import AesGcmSealer
from chalicelib.adapters.topic_local import LocalTopic
from chalicelib.config import Settings
from chalicelib.domain.ports import Connections, ObjectStore, Table
from chalicelib.services import registry
from chalicelib.services.deps import Deps
from chalicelib.services.registry import IssuedCredentials
from tests.support.fakes import CountingIds, FakeClock, FakeConnections
from tests.support.signing import sign

HOST = "lgsp.test"
MiB = 1024 * 1024
UNIT_A, UNIT_B, UNIT_C = "000.00.01.H99", "000.00.02.H99", "000.00.03.H99"


def hub_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"default_scheme": "http", "master_key": base64.b64encode(
        b"k" * 32).decode(), "single_upload_max_bytes": 8 * MiB}
    return Settings(**{**base, **overrides})


def make_deps(table: Table, objects: ObjectStore, clock: FakeClock | None = None,
              connections: Connections | None = None, **overrides: Any) -> Deps:
    settings = hub_settings(**overrides)
    deps = Deps(table=table, objects=objects, clock=clock or FakeClock(), ids=CountingIds(),
                topic=LocalTopic(), connections=connections or FakeConnections(),
                sealer=AesGcmSealer(b"k" * 32), settings=settings,
                outbound=bootstrap.outbound_for(settings))
    bootstrap.subscribe_push(deps)
    return deps


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> str:
        return str(self.body["error"]["code"])


class SignedClient:
    """Calls the app as an agency app would, signing each request."""

    def __init__(self, chalice_client: Client, deps: Deps, creds: IssuedCredentials) -> None:
        self.http = chalice_client.http
        self.deps = deps
        self.creds = creds

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] |
             None = None, raw: bytes | None = None, signed: bool = True, skew: int = 0,
             nonce: str | None = "", key: Any = None, algorithm: Any = None) -> Reply:
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else b"")
        hdrs = {"host": HOST, **({"content-type": "application/json"} if data else {}),
                **(headers or {})}
        if signed:
            hdrs = sign(method, f"http://{HOST}{path}", key_id=self.creds.access_key,
                        secret=key if key is not None else self.creds.secret_key, body=data,
                        created=self.deps.clock.now() + skew, nonce=nonce,
                        **({"algorithm": algorithm} if algorithm else {}),
                        headers=hdrs, components=("@method", "@target-uri"))
        res = self.http.request(method, path, headers=hdrs, body=data)
        text = res.body.decode() if res.body else ""
        return Reply(res.status_code, {k.lower(): v for k, v in res.headers.items()},
                     json.loads(text) if text else None)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, {} if body is None else body, **kw)


def content_request(data: bytes, to: list[str], *, part_size: int = 5 * MiB,
                    title: str = "Công văn số 12/STC", priority: str = "khan",
                    **extra: Any) -> dict[str, Any]:
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    return {"to": to, "title": title, "priority": priority, "content": {
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "application/pdf", "file_name": "công-văn.pdf",
        "parts": [{"size": len(p), "sha256": hashlib.sha256(p).hexdigest()} for p in parts]
        if len(parts) > 1 else None}, **extra}


@dataclass
class World:
    deps: Deps
    client: Client
    a: SignedClient
    b: SignedClient
    c: SignedClient

    def as_(self, creds: IssuedCredentials) -> SignedClient:
        return SignedClient(self.client, self.deps, creds)


def on(deps: Deps) -> None:
    """The next call is answered by the process whose state is `deps`."""
    bootstrap.install(deps)


def world(deps: Deps) -> Iterator[World]:
    """Three units with one app each, the app wired to `deps`."""
    from app import app

    for code in (UNIT_A, UNIT_B, UNIT_C):
        registry.create_unit(deps, code, f"Đơn vị {code}")
    creds = [registry.create_app(deps, code, "app") for code in (UNIT_A, UNIT_B, UNIT_C)]
    bootstrap.install(deps)
    try:
        with Client(app) as client:
            yield World(deps, client, *(SignedClient(client, deps, c) for c in creds))
    finally:
        bootstrap.install(None)
