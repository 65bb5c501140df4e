"""The restore drill (issue 14, R-OPS-4): a running hub with units, apps, keys and
messages in every state is backed up while it runs, stopped, its data destroyed (the
table and the store's folder), restored and started again. The old app keys still sign
and verify, every inbox, outbox, message status and history reads as before, and the
messages whose content went with the store end with their source told (an event on its
WebSocket, the state and trace in the API) instead of waiting for their deadline.

Run on SQLite (the single-machine host) and on PostgreSQL (LGSP_TABLE_BACKEND=postgres)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from tests.e2e.conftest import ROOT, LocalHub, host_in
from tests.e2e.realtime import HubApp, OffsetFile
from tests.support.postgres_fixture import fresh_database

pytestmark = pytest.mark.e2e
SOURCE, DEST = "000.00.31.H99", "000.00.32.H99"
MiB = 1024 * 1024
PASSPHRASE = "dien tap khoi phuc du lieu"


def admin(hub: LocalHub, *argv: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "infra.admin", "--local", *argv], cwd=ROOT,
                          env=hub.env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    shown: dict[str, Any] = json.loads(done.stdout)
    return shown


def app_of(hub: LocalHub, unit: str, clock: OffsetFile) -> HubApp:
    return HubApp(hub.url, next(a for a in hub.apps if a["unit"] == unit), clock.now)


def ok(reply: tuple[int, Any]) -> Any:
    status, body = reply
    assert status in (200, 201), body
    return body


def until(what: str, probe: Any, seconds: float = 60) -> Any:
    """Poll `probe` until it returns something truthy (the sweeper runs on its own)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = probe()
        if found:
            return found
        time.sleep(0.3)  # polling the host, bounded by the deadline
    pytest.fail(f"not seen in {seconds} s: {what}")


def uploading(source: HubApp) -> str:
    """A two-part message with only its first part in the store."""
    data = os.urandom(6 * MiB)
    parts = [data[:5 * MiB], data[5 * MiB:]]
    created = ok(source.call("POST", "/v1/messages", {
        "to": [DEST], "title": "Hồ sơ lớn", "priority": "thuong", "content": {
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "file_name": "ho-so.bin", "content_type": "application/octet-stream",
            "parts": [{"size": len(p), "sha256": hashlib.sha256(p).hexdigest()}
                      for p in parts]}}))
    first = created["upload"]["requests"][0]
    put = requests.put(first["url"], data=parts[0], headers=first["headers"], timeout=60)
    assert put.status_code == 200, put.text
    return str(created["message"]["id"])


def exchanges(hub: LocalHub, clock: OffsetFile) -> dict[str, str]:
    """One message in each state, from SOURCE to DEST."""
    source, dest = app_of(hub, SOURCE, clock), app_of(hub, DEST, clock)
    ids = {name: source.send(name.encode() * 10, DEST)
           for name in ("available", "fetched", "confirmed", "rejected")}
    ids["expired"] = source.send(b"het han", DEST, confirm_within_seconds=60)
    ok(dest.call("POST", f"/v1/messages/{ids['fetched']}/fetch", {}))
    grant = ok(dest.call("POST", f"/v1/messages/{ids['confirmed']}/fetch", {}))
    body = requests.get(grant["url"], headers=grant["headers"], timeout=30).content
    ok(dest.call("POST", f"/v1/messages/{ids['confirmed']}/confirm",
                 {"sha256": hashlib.sha256(body).hexdigest()}))
    ok(dest.call("POST", f"/v1/messages/{ids['rejected']}/reject", {"reason": "sai mẫu"}))
    ids["uploading"] = uploading(source)
    ids["reply"] = app_of(hub, DEST, clock).send(b"tra loi", SOURCE)  # SOURCE's inbox too
    clock.advance(120)  # past the deadline of "expired": the sweeper ends it
    until("the sweeper ended the expired message", lambda: source.call(
        "GET", f"/v1/messages/{ids['expired']}")[1]["message"]["state"] == "completed")
    return ids


def what_the_api_shows(hub: LocalHub, clock: OffsetFile, ids: dict[str, str]
                       ) -> dict[str, Any]:
    source, dest = app_of(hub, SOURCE, clock), app_of(hub, DEST, clock)
    seen: dict[str, Any] = {}
    for name, app in (("source", source), ("dest", dest)):
        unit = SOURCE if app is source else DEST
        seen[f"{name} inbox"] = ok(app.call("GET", "/v1/inbox"))["items"]
        seen[f"{name} outbox"] = ok(app.call("GET", "/v1/outbox"))["items"]
        seen[f"{name} history"] = ok(app.call(
            "GET", f"/v1/reports/units/{unit}/history?period=month"))["items"]
    for name, message_id in ids.items():
        sender = dest if name == "reply" else source
        seen[name] = ok(sender.call("GET", f"/v1/messages/{message_id}"))
    return seen


def destroy(hub: LocalHub, database: str | None) -> None:
    """What a lost disk takes: the table and the store's data."""
    for path in hub.var.glob("table.sqlite3*"):
        path.unlink()
    shutil.rmtree(hub.var / "seaweed")
    if database is not None:
        server, name = database.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def drill(tmp_path: Path, database: str | None) -> None:
    clock = OffsetFile(tmp_path / "clock-offset")
    settings = {"LGSP_CLOCK_OFFSET_FILE": str(clock.path), "LGSP_SWEEP_SECONDS": "0.3",
                "LGSP_SINGLE_UPLOAD_MAX_BYTES": str(MiB)}
    if database is not None:
        settings |= {"LGSP_TABLE_BACKEND": "postgres", "LGSP_POSTGRES_DSN": database}
    hub = host_in(tmp_path / "var", **settings)
    (tmp_path / "pass").write_text(PASSPHRASE)
    hub.start()
    try:
        ids = exchanges(hub, clock)
        before = what_the_api_shows(hub, clock, ids)
        backup = tmp_path / "backup"
        made = admin(hub, "backup", "--to", str(backup), "--passphrase-file",
                     str(tmp_path / "pass"))  # while the hub runs
        assert made["backend"] == ("sqlite" if database is None else "postgres")
        assert made["counts"]["messages"] == len(ids)
        assert made["counts"]["units"] >= 3
        hub.stop()
        destroy(hub, database)

        restored = admin(hub, "restore", "--from", str(backup), "--passphrase-file",
                         str(tmp_path / "pass"))
        assert restored["counts"] == made["counts"]
        assert "reconcile" in restored["reconcile"]["pending"]  # the store starts with the hub
        hub.start()
        assert what_the_api_shows(hub, clock, ids) == before  # the old keys sign and verify

        source = app_of(hub, SOURCE, clock)
        with source.websocket() as socket:
            socket.send("sync")
            socket.wait_for("summary")
            report = admin(hub, "reconcile")
            told = {socket.wait_for("message.expired", message_id=ids[name])["reason"]
                    for name in ("available", "fetched")}
        assert told == {"content_lost"}
        assert (report["content_lost"], report["deliveries_ended"],
                report["uploads_abandoned"]) == (3, 3, 1)  # with the reply to SOURCE
        after = what_the_api_shows(hub, clock, ids)
        for name in ("available", "fetched"):
            status = after[name]
            assert status["message"]["state"] == "completed"
            assert [(d["state"]) for d in status["deliveries"]] == ["expired"]
            assert ("expired", DEST, "content_lost") in {
                (t["event"], t["unit"], t["detail"]) for t in status["trace"]}
        assert after["uploading"]["message"]["state"] == "abandoned"
        for name in ("confirmed", "rejected", "expired"):
            assert after[name] == before[name]  # what was over stays as it was
        assert after["dest inbox"] == [] and after["source inbox"] == []
        again = admin(hub, "reconcile")
        assert (again["content_lost"], again["deliveries_ended"],
                again["uploads_abandoned"]) == (0, 0, 0)
    finally:
        if hub.proc is not None:
            hub.stop()


def test_a_hub_on_sqlite_is_restored_whole(tmp_path: Path) -> None:
    drill(tmp_path, None)


def test_a_hub_on_postgresql_is_restored_whole(tmp_path: Path, postgres_dsn: str) -> None:
    drill(tmp_path, fresh_database(postgres_dsn))
