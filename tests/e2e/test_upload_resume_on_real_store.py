"""Resuming a multipart upload on a real S3-compatible store (SeaweedFS): the upload plan
names the parts the store already holds as declared, presigns only the others, and the
message completes with the held parts' ETags (R-SEND-3, R-PROP-2, R-PROP-5)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.ports import StoredPart
from tests.support.fakes import FakeClock
from tests.support.hub import UNIT_B, MiB, World, content_request, make_deps, world

pytestmark = pytest.mark.e2e
KEY = "idem-resume-1"


@pytest.fixture
def hub(s3_store: S3ObjectStore, tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    table = SqliteTable(str(tmp_path / "table.sqlite3"), clock=clock.now)
    yield from world(make_deps(table, s3_store, clock))


def put(req: dict[str, Any], data: bytes) -> str:
    chunk = data[req["offset"]:req["offset"] + req["size"]]
    res = requests.put(req["url"], data=chunk, headers=req["headers"], timeout=30)
    assert res.status_code == 200, res.text
    return str(res.headers["ETag"])


def test_the_plan_names_held_parts_and_presigns_only_the_others(hub: World) -> None:
    data = os.urandom(11 * MiB)  # parts of 5, 5 and 1 MiB
    body = content_request(data, [UNIT_B])
    created = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": KEY})
    assert created.status == 201, created.body
    assert created.body["upload"]["uploaded"] == []
    first = created.body["upload"]["requests"]
    etags = {1: put(first[0], data), 3: put(first[2], data)}  # then the sender "crashes"
    message_id = created.body["message"]["id"]

    plan = hub.a.get(f"/v1/messages/{message_id}/upload").body
    assert plan["uploaded"] == [{"part_number": 1, "etag": etags[1]},
                                {"part_number": 3, "etag": etags[3]}]
    assert [r["part_number"] for r in plan["requests"]] == [2]
    replayed = hub.a.post("/v1/messages", body, headers={"Idempotency-Key": KEY})
    assert replayed.status == 200
    assert replayed.body["upload"]["uploaded"] == plan["uploaded"]
    assert [r["part_number"] for r in replayed.body["upload"]["requests"]] == [2]

    etags[2] = put(plan["requests"][0], data)
    done = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": [
        {"part_number": n, "etag": e} for n, e in sorted(etags.items())]})
    assert done.status == 200, done.body
    assert done.body["message"]["state"] == "verified"


def test_the_store_lists_an_open_uploads_parts(s3_store: S3ObjectStore) -> None:
    upload_id = s3_store.create_multipart("docs/mp", content_type="application/pdf")
    assert s3_store.list_parts("docs/mp", upload_id) == []
    import base64
    import hashlib
    chunk = os.urandom(5 * MiB)
    digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
    req = s3_store.presign_part("docs/mp", upload_id, 2, size=len(chunk), sha256_b64=digest,
                                expires_in=60)
    etag = requests.put(req.url, data=chunk, headers=req.headers, timeout=30).headers["ETag"]
    [part] = s3_store.list_parts("docs/mp", upload_id)
    assert (part.part_number, part.etag, part.size) == (2, etag, len(chunk))
    assert part.sha256_b64 in (None, digest)  # SeaweedFS 4.48 does not report it; S3 does
    s3_store.abort_multipart("docs/mp", upload_id)
    assert s3_store.list_parts("docs/mp", upload_id) == []
    assert isinstance(part, StoredPart)
