"""Two units exchange a 20 MiB file over real HTTP against the `make run` host, with
SeaweedFS enforcing the presigned checksums (R-PROP-1/2/3, R-SEND-*, R-RECV-*), once with
the table on SQLite (the default) and once on a real PostgreSQL server (on-prem)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from chalicelib.domain import keys
from chalicelib.domain.times import province_day
from tests.e2e.conftest import ROOT, LocalHub, open_table

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def local_hub(request: pytest.FixtureRequest) -> LocalHub:
    """Each test on the host with its table on SQLite, then on PostgreSQL."""
    name = "sqlite_hub" if request.param == "sqlite" else "postgres_hub"
    hub: LocalHub = request.getfixturevalue(name)
    return hub


def lgsp(hub: LocalHub, app: dict[str, Any], *args: str, check: bool = True
         ) -> subprocess.CompletedProcess[str]:
    """Run the `lgsp` CLI as one of the demo apps."""
    env = {**hub.env, "LGSP_ENDPOINT": hub.url, "LGSP_ACCESS_KEY": app["access_key"],
           "LGSP_SECRET_KEY": app["secret_key"], "LGSP_CREDENTIALS_FILE": "/nonexistent"}
    proc = subprocess.run([sys.executable, "-m", "lgsp_client", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def store(hub: LocalHub) -> Any:
    creds = json.loads((hub.var / "s3-credentials.json").read_text())
    port = hub.env["LGSP_S3_PORT"]
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=creds["access_key"],
                        aws_secret_access_key=creds["secret_key"],
                        config=Config(signature_version="s3v4",
                                      s3={"addressing_style": "path"}))


def object_exists(hub: LocalHub, message_id: str) -> bool:
    found = store(hub).list_objects_v2(Bucket="lgsp-exchange",
                                       Prefix=f"exchange/{message_id}/")
    return bool(found.get("KeyCount"))


def test_two_units_exchange_20_mib(local_hub: LocalHub, tmp_path: Path) -> None:
    a, b = local_hub.apps[:2]
    data = os.urandom(20 * MiB)
    source = tmp_path / "hồ-sơ.pdf"
    source.write_bytes(data)
    sent = lgsp(local_hub, a, "--no-progress", "send", "--to", b["unit"], "--title",
                "Hồ sơ thẩm định ngân sách", "--priority", "Hỏa tốc", str(source))
    message_id, state = sent.stdout.split()[:2]
    assert state == "verified"
    assert object_exists(local_hub, message_id)

    inbox = json.loads(lgsp(local_hub, b, "inbox", "--json").stdout)
    assert [(i["id"], i["priority"]) for i in inbox["items"]] == [(message_id, "hoa_toc")]

    target = tmp_path / "received.pdf"
    lgsp(local_hub, b, "--no-progress", "fetch", message_id, "-o", str(target))
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()

    status = json.loads(lgsp(local_hub, a, "status", message_id, "--json").stdout)
    assert status["message"]["state"] == "completed"
    assert status["deliveries"][0]["state"] == "confirmed"
    assert not object_exists(local_hub, message_id)

    sent_day = province_day(epoch(status["message"]["verified_at"]))
    recv_day = province_day(epoch(status["deliveries"][0]["confirmed_at"]))
    with open_table(local_hub) as table:
        sent_stats = table.get(*keys.stats_day(a["unit"], sent_day)) or {}
        recv_stats = table.get(*keys.stats_day(b["unit"], recv_day)) or {}
    assert sent_stats.get("sent", 0) >= 1 and sent_stats.get("bytes_sent", 0) >= 20 * MiB
    assert recv_stats.get("received", 0) >= 1
    assert recv_stats.get("bytes_received", 0) >= 20 * MiB


def epoch(iso_time: str) -> int:
    return int(datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp())


def test_an_empty_document_is_exchanged_with_the_cli(local_hub: LocalHub,
                                                     tmp_path: Path) -> None:
    """R-PROP-1: a 0-byte file goes through `lgsp send` and `lgsp fetch` like any other,
    and the message completes (its empty object deleted)."""
    a, b = local_hub.apps[:2]
    source = tmp_path / "biên-bản-trống.txt"
    source.write_bytes(b"")
    sent = lgsp(local_hub, a, "--no-progress", "send", "--to", b["unit"], "--title",
                "Biên bản (không có nội dung)", str(source))
    message_id, state = sent.stdout.split()[:2]
    assert state == "verified"
    target = tmp_path / "received.txt"
    fetched = lgsp(local_hub, b, "--no-progress", "fetch", message_id, "-o", str(target))
    assert fetched.stdout.startswith(f"{target} 0 sha256:{hashlib.sha256(b'').hexdigest()}")
    assert target.read_bytes() == b""
    status = json.loads(lgsp(local_hub, a, "status", message_id, "--json").stdout)
    assert status["message"]["state"] == "completed"
    assert status["deliveries"][0]["state"] == "confirmed"
    assert not object_exists(local_hub, message_id)


def test_the_store_refuses_bytes_other_than_declared(local_hub: LocalHub) -> None:
    """The SHA-256 is bound into the presigned PUT: other bytes never land (R-PROP-2)."""
    a, b = local_hub.apps[:2]
    from lgsp_client.api import LgspClient  # the agency SDK, as an app would use it

    client = LgspClient(endpoint=local_hub.url, access_key=a["access_key"],
                        secret_key=a["secret_key"])
    data = b"the declared content"
    created = client.create_message({
        "to": [b["unit"]], "title": "tamper", "content": {
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "file_name": "a.txt", "content_type": "text/plain"}})
    message_id = created["message"]["id"]
    req = created["upload"]["requests"][0]
    forged = requests.put(req["url"], data=b"X" * len(data), headers=req["headers"], timeout=30)
    assert forged.status_code >= 400
    unsigned = requests.put(req["url"].split("?")[0], data=data, timeout=30)
    assert unsigned.status_code in (401, 403)
    assert not object_exists(local_hub, message_id)
    res = requests.get(f"{local_hub.url}/v1/messages/{message_id}", timeout=10)
    assert res.status_code == 401 and res.json()["error"]["code"] == "signature_missing"
    ok = requests.put(req["url"], data=data, headers=req["headers"], timeout=30)
    assert ok.status_code == 200


def test_data_survives_a_restart(local_hub: LocalHub, tmp_path: Path) -> None:
    a, b = local_hub.apps[:2]
    source = tmp_path / "note.txt"
    source.write_bytes(b"persisted across restarts")
    message_id = lgsp(local_hub, a, "--no-progress", "send", "--to", b["unit"], "--title",
                      "restart", str(source)).stdout.split()[0]
    assert local_hub.stop() == 0
    local_hub.start()
    inbox = json.loads(lgsp(local_hub, b, "inbox", "--json").stdout)
    assert message_id in [i["id"] for i in inbox["items"]]
    target = tmp_path / "out.txt"
    lgsp(local_hub, b, "--no-progress", "fetch", message_id, "-o", str(target))
    assert target.read_bytes() == b"persisted across restarts"



def test_brokered_session_over_real_http(local_hub: LocalHub) -> None:
    """The demo's operator grants A access to B's service; A opens a session; B introspects
    the token with its own key (R-AUTH-1..5)."""
    from lgsp_client.api import LgspClient

    a, b, operator = local_hub.apps
    assert operator["unit"] == "000.00.30.H99"

    def client(app: dict[str, Any]) -> LgspClient:
        return LgspClient(endpoint=local_hub.url, access_key=app["access_key"],
                          secret_key=app["secret_key"])

    client(b).call("POST", "/v1/services", body={
        "id": "ho-so", "name": "Tra cứu hồ sơ", "base_url": "https://noivu.example/api"})
    client(operator).call("POST", "/v1/grants", body={
        "source_unit": a["unit"], "service": {"unit": b["unit"], "id": "ho-so"},
        "scopes": ["read"]})
    session = client(a).call("POST", "/v1/auth/sessions", body={"service": f"{b['unit']}/ho-so"})
    seen = client(b).call("POST", "/v1/auth/introspect", body={"token": session["token"]})
    assert seen["active"] is True and seen["sub"] == a["unit"] and seen["scope"] == "read"
    assert client(a).call("POST", "/v1/auth/introspect",
                          body={"token": session["token"]}) == {"active": False}
