"""The tamper matrix through chalice's test client (R-COMP-4): every case refused with its
code; the untampered request passes."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from chalicelib.domain import keys
from chalicelib.domain.ports import Update
from chalicelib.services import registry
from tests.support.hub import HOST, UNIT_A, World
from tests.support.tamper import CASES, Ctx, Req


@pytest.fixture
def ctx(hub: World) -> Ctx:
    revoked = registry.create_app(hub.deps, UNIT_A, "revoked app")
    hub.deps.table.update(Update(*keys.access_key(revoked.access_key),
                                 set={"status": "revoked"}))
    assert hub.a.creds.secret_key and revoked.secret_key
    return Ctx(base=f"http://{HOST}", host=HOST, key_id=hub.a.creds.access_key,
               secret=hub.a.creds.secret_key, other_key_id=hub.b.creds.access_key,
               revoked_key_id=revoked.access_key, revoked_secret=revoked.secret_key,
               now=hub.deps.clock.now())


def send(hub: World, req: Req) -> tuple[int, dict[str, str]]:
    url = urllib.parse.urlsplit(req.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    res = hub.client.http.request(req.method, path, headers=req.headers, body=req.body)
    return res.status_code, json.loads(res.body) if res.body else {}


def test_the_untampered_request_passes(hub: World, ctx: Ctx) -> None:
    status, body = send(hub, ctx.signed())
    assert status == 404 and body["error"]["code"] == "message_not_found"
    status, _ = send(hub, ctx.signed("GET", "/v1/inbox?limit=5"))
    assert status == 200


@pytest.mark.parametrize(("name", "make", "code"), CASES, ids=[c[0] for c in CASES])
def test_tampered_requests_are_refused(hub: World, ctx: Ctx, name: str, make: object,
                                       code: str) -> None:
    status, body = send(hub, make(ctx))  # type: ignore[operator]
    assert status == 401, (name, body)
    assert body["error"]["code"] == code, name


def test_a_replayed_request_is_refused(hub: World, ctx: Ctx) -> None:
    req = ctx.signed()
    assert send(hub, req)[0] == 404
    status, body = send(hub, req)
    assert status == 401 and body["error"]["code"] == "replayed"
