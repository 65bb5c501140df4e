"""The tamper matrix over real HTTP against the single-machine host (R-COMP-4)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.ports import Update
from chalicelib.services import registry
from infra.local.backends import Backends, HostSettings
from tests.e2e.conftest import LocalHub
from tests.support.tamper import CASES, Ctx, Req

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ctx(local_hub: LocalHub) -> Ctx:
    a, b = local_hub.apps[:2]
    settings = Backends(HostSettings(var_dir=local_hub.var)).settings()
    deps = bootstrap.build(settings)  # the host's table file, opened from this process
    revoked = registry.create_app(deps, a["unit"], "revoked app")
    deps.table.update(Update(*keys.access_key(revoked.access_key), set={"status": "revoked"}))
    assert revoked.secret_key
    host = local_hub.url.removeprefix("http://")
    return Ctx(base=local_hub.url, host=host, key_id=a["access_key"], secret=a["secret_key"],
               other_key_id=b["access_key"], revoked_key_id=revoked.access_key,
               revoked_secret=revoked.secret_key, now=0)


def now_ctx(ctx: Ctx, local_hub: LocalHub) -> Ctx:
    from dataclasses import replace

    server = requests.get(f"{local_hub.url}/v1/time", timeout=10).json()
    return replace(ctx, now=int(server["epoch"]))


def send(req: Req) -> tuple[int, Any]:
    res = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
    return res.status_code, res.json()


def test_the_untampered_request_passes(ctx: Ctx, local_hub: LocalHub) -> None:
    c = now_ctx(ctx, local_hub)
    status, body = send(c.signed())
    assert status == 404 and body["error"]["code"] == "message_not_found"
    assert send(c.signed("GET", "/v1/inbox?limit=5"))[0] == 200


@pytest.mark.parametrize(("name", "make", "code"), CASES, ids=[c[0] for c in CASES])
def test_tampered_requests_are_refused(ctx: Ctx, local_hub: LocalHub, name: str,
                                       make: Any, code: str) -> None:
    status, body = send(make(now_ctx(ctx, local_hub)))
    assert status == 401, (name, body)
    assert body["error"]["code"] == code, name


def test_a_replayed_request_is_refused(ctx: Ctx, local_hub: LocalHub) -> None:
    req = now_ctx(ctx, local_hub).signed()
    assert send(req)[0] == 404
    status, body = send(req)
    assert status == 401 and body["error"]["code"] == "replayed"
