"""Brokered calls end to end over loopback HTTP (R-AUTH-1..6): the real hub (chalice test
client behind a loopback bridge), a source app using `lgsp_client.broker`, and the example
destination service verifying each call through the hub."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain import keys
from chalicelib.domain.ports import Update
from lgsp_client import LgspApiError, LgspClient
from lgsp_client.broker import (
    BrokeredCallRefused,
    IncomingRequest,
    bearer_token,
    call_service,
    open_session,
    verify_brokered_call,
)
from tests.client.server import Received, Reply, serve
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World, make_deps, world

EXAMPLE = Path(__file__).resolve().parents[2] / "client" / "examples" / "destination_service.py"
SERVICE = f"{UNIT_B}/land-records"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("destination_service", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Setup:
    hub: World
    clock: FakeClock
    source: LgspClient
    dest: LgspClient
    dest_url: str

    def client(self, world_client: Any) -> LgspClient:
        creds = world_client.creds
        return LgspClient(self.source.endpoint, creds.access_key, creds.secret_key,
                          clock=self.clock.now, attempts=1)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    clock = FakeClock()
    deps = make_deps(SqliteTable(tmp_path / "t.sqlite3", clock.now), None,  # type: ignore[arg-type]
                     clock, operator_units=UNIT_C)
    worlds = world(deps)
    hub = next(worlds)

    def bridge(req: Received) -> Reply:
        res = hub.client.http.request(req.method, req.path, headers=req.headers, body=req.body)
        return Reply(res.status_code, res.body or b"", dict(res.headers))

    def client(creds: Any) -> LgspClient:
        return LgspClient(hub_http.url, creds.access_key, creds.secret_key, clock=clock.now,
                          attempts=1)

    try:
        with serve(bridge) as hub_http:
            dest = client(hub.b.creds)
            server = _example().make_server(dest, SERVICE)
            thread = threading.Thread(target=server.serve_forever,
                                      kwargs={"poll_interval": 0.01}, daemon=True)
            thread.start()
            try:
                yield Setup(hub, clock, client(hub.a.creds), dest,
                            f"http://127.0.0.1:{server.server_address[1]}")
            finally:
                server.shutdown()
                server.server_close()
                thread.join()
    finally:
        worlds.close()


def _register_and_grant(s: Setup, scopes: list[str]) -> dict[str, Any]:
    assert s.hub.b.post("/v1/services", {"id": "land-records", "name": "Sổ địa chính",
                                         "base_url": s.dest_url + "/api"}).status == 201
    res = s.hub.c.post("/v1/grants", {"source_unit": UNIT_A, "service": {
        "unit": UNIT_B, "id": "land-records"}, "scopes": scopes})
    assert res.status == 201
    return dict(res.body)


def test_source_calls_destination_through_the_hub(setup: Setup) -> None:  # R-AUTH-1..6
    _register_and_grant(setup, ["read"])
    session = open_session(setup.source, SERVICE, ["read"])
    assert session.base_url == setup.dest_url + "/api" and session.token not in repr(session)
    res = call_service(setup.source, session, "POST", "/records?id=7", body=b'{"q": 1}',
                       headers={"Content-Type": "application/json"})
    assert res.status_code == 200, res.text
    assert res.json()["caller"] == {"unit": UNIT_A, "app": setup.hub.a.creds.app,
                                    "scopes": ["read"]}
    assert res.json()["path"] == "/api/records?id=7"
    assert call_service(setup.source, session, "GET", "/records").status_code == 200


def test_destination_refuses_without_grant_or_token(setup: Setup) -> None:
    assert setup.hub.b.post("/v1/services", {"id": "land-records", "name": "x",
                                             "base_url": setup.dest_url}).status == 201
    with pytest.raises(LgspApiError) as denied:
        open_session(setup.source, SERVICE)
    assert denied.value.status == 403 and denied.value.code == "access_denied"
    res = requests.get(setup.dest_url + "/records", timeout=5)
    assert res.status_code == 401 and res.json()["error"]["code"] == "token_missing"


def test_revoked_source_key_is_refused(setup: Setup) -> None:  # R-AUTH-6
    _register_and_grant(setup, ["read"])
    session = open_session(setup.source, SERVICE)
    setup.hub.deps.table.update(Update(*keys.access_key(setup.hub.a.creds.access_key),
                                       set={"status": "revoked"}))  # as another host does
    setup.hub.deps.clock.advance(setup.hub.deps.settings.auth_cache_seconds)  # its bound
    res = call_service(setup.source, session, "GET", "/records")
    assert res.status_code == 401 and res.json()["error"]["code"] == "token_inactive"


def test_missing_scope_is_forbidden(setup: Setup) -> None:
    _register_and_grant(setup, ["write"])
    res = call_service(setup.source, open_session(setup.source, SERVICE), "GET", "/x")
    assert res.status_code == 403 and res.json()["error"]["code"] == "insufficient_scope"


def _signed_incoming(s: Setup, token: str, url: str, body: bytes = b"") -> IncomingRequest:
    """A request exactly as the source would send it (signed by its LgspAuth)."""
    prepared = requests.Request("POST", url, data=body or None,
                                headers={"Authorization": f"Bearer {token}"}).prepare()
    assert s.source.auth is not None
    s.source.auth(prepared)
    return IncomingRequest("POST", url, dict(prepared.headers), body)


def test_helper_rejects_tampering_replay_and_foreign_urls(setup: Setup) -> None:
    _register_and_grant(setup, ["read"])
    token = open_session(setup.source, SERVICE).token
    url = setup.dest_url + "/api/records"
    good = _signed_incoming(setup, token, url, b"payload")
    with pytest.raises(BrokeredCallRefused) as tampered:
        verify_brokered_call(setup.dest, token, IncomingRequest(
            good.method, good.url, good.headers, b"changed"), service=SERVICE)
    assert tampered.value.code == "digest_mismatch"
    source = verify_brokered_call(setup.dest, token, good, service=SERVICE)
    assert (source.unit, source.key_id) == (UNIT_A, setup.hub.a.creds.access_key)
    with pytest.raises(BrokeredCallRefused) as replayed:
        verify_brokered_call(setup.dest, token, good, service=SERVICE)
    assert replayed.value.code == "token_inactive"
    elsewhere = _signed_incoming(setup, token, "http://elsewhere.test/api/records")
    with pytest.raises(BrokeredCallRefused):
        verify_brokered_call(setup.dest, token, elsewhere, service=SERVICE)
    with pytest.raises(BrokeredCallRefused) as wrong:
        verify_brokered_call(setup.dest, token, None, service=f"{UNIT_B}/other")
    assert wrong.value.code == "wrong_audience"


def test_forwarded_signature_of_another_app_is_refused(setup: Setup) -> None:
    _register_and_grant(setup, ["read"])
    token = open_session(setup.source, SERVICE).token
    other = Setup(setup.hub, setup.clock, setup.client(setup.hub.c), setup.dest,
                  setup.dest_url)
    forged = _signed_incoming(other, token, setup.dest_url + "/api/records")
    with pytest.raises(BrokeredCallRefused):
        verify_brokered_call(setup.dest, token, forged, service=SERVICE)
    assert verify_brokered_call(setup.dest, token, None, service=SERVICE).unit == UNIT_A


def test_bearer_token_parsing() -> None:
    assert bearer_token({"Authorization": "Bearer abc"}) == "abc"
    assert bearer_token({"authorization": "bearer  abc "}) == "abc"
    assert bearer_token({"Authorization": "Basic abc"}) is None
    assert bearer_token({}) is None
