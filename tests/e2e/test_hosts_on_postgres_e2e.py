"""Two host processes as two machines of one hub (R-PROP-6, R-COMP-2): each with a `var/`
of its own holding copies of the same secrets, both on one PostgreSQL database and one
S3-compatible store (SeaweedFS) that neither host runs. A WebSocket held by one host gets
the push of a message sent through the other; 20 senders send through both at once; the
host holding the sweeper lease is killed with SIGKILL mid-load and started again. Every
accepted message is delivered exactly once with its bytes, and the sweeper runs on exactly
one host before and after: the other host takes the lease over once it runs out."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.launcher import host_elsewhere
from tests.e2e.conftest import LocalHub, host_in
from tests.e2e.realtime import HubApp
from tests.e2e.senders import DEST, SOURCE, Senders, check_each_delivered_once, client
from tests.support.postgres_fixture import fresh_database
from tests.support.seaweed_fixture import SeaweedEndpoint

pytestmark = pytest.mark.e2e
LEASE_SECONDS = 3  # the least the host takes: a take-over within seconds, not 40 s
TAKE_OVER_BOUND = 60.0  # the bound: a dead holder's sweeps go on within a minute


def holder(hub: LocalHub) -> str:
    """The id a host's sweeper takes its lease with (`infra/local/sweeping.holder_id`)."""
    import socket
    assert hub.proc is not None
    return f"{socket.gethostname()}:{hub.env['LGSP_PORT']}:{hub.proc.pid}"


def log_after(hub: LocalHub, offset: int) -> str:
    return hub.log_file.read_text(errors="replace")[offset:]


def wait_for_line(hub: LocalHub, text: str, offset: int = 0,
                  deadline_s: float = TAKE_OVER_BOUND) -> bool:
    """Whether `text` appears in the host's log after `offset`, polled until the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if text in log_after(hub, offset):
            return True
        time.sleep(0.2)  # polling a log file, bounded by the deadline
    return False


@pytest.fixture
def machines(tmp_path: Path, postgres_dsn: str, seaweed: SeaweedEndpoint
             ) -> Iterator[tuple[LocalHub, LocalHub]]:
    shared = {"LGSP_TABLE_BACKEND": "postgres",
              "LGSP_POSTGRES_DSN": fresh_database(postgres_dsn, "machines"),
              "LGSP_S3_EMBEDDED": "false", "LGSP_S3_ENDPOINT": seaweed.endpoint_url,
              "LGSP_BUCKET": f"machines-{uuid.uuid4().hex[:12]}",
              "LGSP_SWEEP_SECONDS": "1", "LGSP_SWEEP_LEASE_SECONDS": str(LEASE_SECONDS)}
    var_a = tmp_path / "a" / "var"
    var_a.mkdir(mode=0o700, parents=True)
    (var_a / "s3-credentials.json").write_text(json.dumps(
        {"access_key": seaweed.access_key, "secret_key": seaweed.secret_key}))
    first = host_in(var_a, **shared)
    first.start()
    second = host_elsewhere(first, tmp_path / "b" / "var")
    try:
        second.start()
        yield first, second
    finally:
        for hub in (second, first):
            if hub.proc is not None:
                hub.stop()


def test_two_machines_on_postgresql_survive_the_sweeper_host_killed_mid_load(
        machines: tuple[LocalHub, LocalHub], tmp_path: Path) -> None:
    a, b = machines
    # The sweeper: A started first and holds the lease; B waits.
    assert wait_for_line(a, f"sweeper: {holder(a)} leads")
    assert wait_for_line(a, "sweep: {")
    assert "leads" not in b.log() and "sweep: {" not in b.log()

    # A push crosses hosts through the table: the socket on B, the send through A (from
    # the senders' destination to their source, so their outbox and inbox stay theirs).
    held_by = next(x for x in b.apps if x["unit"] == SOURCE)
    sender = next(x for x in a.apps if x["unit"] == DEST)
    with HubApp(b.url, held_by, lambda: int(time.time())).websocket() as socket_on_b:
        socket_on_b.send("sync")
        socket_on_b.wait_for("summary")
        pushed_id = HubApp(a.url, sender, lambda: int(time.time())).send(
            b"qua may chu khac", SOURCE)
        assert socket_on_b.wait_for("message.available", message_id=pushed_id)

    (tmp_path / "files").mkdir()
    senders = Senders([a, b], tmp_path / "files")
    try:
        assert senders.enough.wait(timeout=300), \
            f"only {len(senders.succeeded)} sends in 5 minutes"
        assert a.proc is not None
        killed = holder(a)
        b_offset = len(b.log_file.read_text(errors="replace"))
        a.proc.send_signal(signal.SIGKILL)  # the sweeper's host, mid-load
        killed_at = time.monotonic()
        a.proc.wait(timeout=30)
        a.proc = None
        assert wait_for_line(b, f"sweeper: {holder(b)} leads", b_offset)
        take_over = time.monotonic() - killed_at
        assert wait_for_line(b, "sweep: {", b_offset)
        senders.join()
        a_offset = len(a.log_file.read_text(errors="replace"))
        a.start()  # the same command, nothing done by hand
        assert holder(a) != killed
        check_each_delivered_once(senders, client(a, SOURCE), client(b, DEST),
                                  tmp_path / "received")
        # The restarted host found the lease held and never swept since.
        restarted = log_after(a, a_offset)
        assert "leads" not in restarted and "sweep: {" not in restarted
        print(f"sweeper take-over after SIGKILL: {take_over:.1f} s "
              f"(lease {LEASE_SECONDS} s, tried every {LEASE_SECONDS / 3:.0f} s)")
    finally:
        senders.join()


def test_a_host_older_than_the_databases_schema_refuses_to_start(
        tmp_path: Path, postgres_database: str) -> None:
    """Upgrading host by host: a host whose code is older than the schema another host
    brought the database to stops at once, naming both versions, without a traceback."""
    import psycopg

    from chalicelib.adapters.table_postgres import PostgresTable
    PostgresTable(postgres_database).close()  # the schema as this code makes it
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_versions (version, host, pid, what) "
                     "VALUES (99, 'newer-host', 1, 'a later release')")
    hub = host_in(tmp_path / "var", LGSP_TABLE_BACKEND="postgres",
                  LGSP_POSTGRES_DSN=postgres_database)
    with pytest.raises(RuntimeError, match="host exited with 1"):
        hub.start()
    said = hub.log()
    assert "LGSP hub not started" in said and "schema version 99" in said
    assert "Traceback" not in said
