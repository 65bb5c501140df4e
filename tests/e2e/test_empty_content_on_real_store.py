"""A 0-byte document through the hub on a real S3-compatible store (SeaweedFS): the
presigned PUT of no bytes with the empty content's SHA-256, the hub's HEAD check, the
fetch and the confirmation (R-PROP-1, R-PROP-2)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.adapters.table_sqlite import SqliteTable
from tests.integration.test_exchange_flow import receive, send
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_B, World, content_request, make_deps, world

pytestmark = pytest.mark.e2e
EMPTY = hashlib.sha256(b"").hexdigest()


@pytest.fixture
def hub(s3_store: S3ObjectStore, tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    table = SqliteTable(str(tmp_path / "table.sqlite3"), clock=clock.now)
    yield from world(make_deps(table, s3_store, clock))


def test_an_empty_document_is_stored_verified_fetched_and_confirmed(hub: World) -> None:
    message_id = send(hub, b"", [UNIT_B])
    stored = hub.deps.objects.head(f"exchange/{message_id}/content")
    assert stored is not None and stored.size == 0
    assert stored.sha256_b64 == base64.b64encode(hashlib.sha256(b"").digest()).decode()
    assert receive(hub.b, message_id) == b""
    confirmed = hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": EMPTY})
    assert confirmed.status == 200 and confirmed.body["state"] == "confirmed"
    assert hub.a.get(f"/v1/messages/{message_id}").body["message"]["state"] == "completed"


def test_the_empty_put_refuses_any_byte(hub: World) -> None:
    """The signed length and SHA-256 of nothing: one byte more is refused by the store."""
    created = hub.a.post("/v1/messages", content_request(b"", [UNIT_B]))
    assert created.status == 201, created.body
    [req] = created.body["upload"]["requests"]
    assert (req["size"], req["headers"]["content-length"]) == (0, "0")
    forged = requests.put(req["url"], data=b"x",
                          headers={**req["headers"], "content-length": "1"}, timeout=30)
    assert forged.status_code >= 400
    message_id = created.body["message"]["id"]
    assert hub.deps.objects.head(f"exchange/{message_id}/content") is None
