"""Many machines acting as one (R-PROP-6), on one machine: two host processes on their own
ports share one `var/` (secrets, SQLite file) and the SeaweedFS the first one runs.

Either process takes any request, a push reaches a WebSocket whichever process holds it,
and when both take writes at once the reconciliation finds every message, inbox line,
outbox line and counter exactly once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain import keys
from infra.local.launcher import host_beside
from tests.e2e.conftest import LocalHub, host_in
from tests.e2e.realtime import HubApp

pytestmark = pytest.mark.e2e
SOURCE, DEST, OPERATOR = "000.00.31.H99", "000.00.32.H99", "000.00.30.H99"
THREADS_PER_HOST, MESSAGES_PER_THREAD = 2, 15


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalHub, LocalHub]]:
    """Host A with its own SeaweedFS and SQLite, then host B attached to them."""
    first = host_in(tmp_path_factory.mktemp("scale") / "var")
    first.start()
    try:
        demo = (first.var / "demo-credentials.json").read_bytes()
        second = host_beside(first)
        second.start()
        try:
            assert (first.var / "demo-credentials.json").read_bytes() == demo  # not reseeded
            yield first, second
        finally:
            if second.proc is not None:
                second.stop()
    finally:
        if first.proc is not None:
            first.stop()


@pytest.fixture(scope="module")
def table(hosts: tuple[LocalHub, LocalHub]) -> Iterator[SqliteTable]:
    """The SQLite file both hosts write, opened by this process too (as a third reader)."""
    opened = SqliteTable(hosts[0].var / "table.sqlite3")
    try:
        yield opened
    finally:
        opened.close()


def app_of(hub: LocalHub, unit: str) -> HubApp:
    found = next(a for a in hub.apps if a["unit"] == unit)
    return HubApp(hub.url, found, lambda: int(time.time()))


def every_id(app: HubApp, path: str) -> list[str]:
    """The ids of a whole list (`/v1/inbox`, `/v1/outbox`), page after page, in order."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        status, page = app.call("GET", f"{path}?limit=200" + (f"&cursor={cursor}"
                                                              if cursor else ""))
        assert status == 200, page
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def counters(table: SqliteTable, unit: str) -> Counter[str]:
    """The unit's counters summed over every province day (`STAT#{unit}` / `D#…`, which
    `services/counters.py` adds to), so a run across midnight still adds up."""
    total: Counter[str] = Counter()
    cursor: str | None = None
    while True:
        page = table.query(keys.stats_partition(unit), prefix=keys.STATS_DAY, cursor=cursor)
        for item in page.items:
            total.update({k: v for k, v in item.items()
                          if isinstance(v, int) and not isinstance(v, bool)})
        cursor = page.cursor
        if cursor is None:
            return total


def locked_lines(*hubs: LocalHub) -> list[str]:
    """Lines of the hosts' whole logs where SQLite gave up waiting for its lock."""
    lines = [line for hub in hubs
             for line in hub.log_file.read_text(errors="replace").splitlines()]
    return [line for line in lines
            if "database is locked" in line or "OperationalError" in line]


def test_the_second_host_shares_the_registry_without_reseeding(
        hosts: tuple[LocalHub, LocalHub], table: SqliteTable) -> None:
    first, second = hosts
    assert second.apps == first.apps
    for unit in (SOURCE, DEST, OPERATOR):
        assert len(table.query(f"UNIT#{unit}", prefix="APP#").items) == 1
    status, me = app_of(second, SOURCE).call("GET", "/v1/whoami")  # same keys, same table
    assert status == 200 and me["unit"] == SOURCE, me
    assert '"s3_embedded": false' in second.log_file.read_text()  # attached, not started
    assert second.log_file != first.log_file


@pytest.mark.parametrize("sender, holder", [(0, 1), (1, 0)], ids=["A-to-B", "B-to-A"])
def test_a_message_sent_through_one_host_is_pushed_to_a_socket_the_other_holds(
        hosts: tuple[LocalHub, LocalHub], table: SqliteTable, sender: int,
        holder: int) -> None:
    with app_of(hosts[holder], DEST).websocket() as dest:
        dest.send("sync")
        connection_id = dest.wait_for("summary")["connection_id"]
        held = table.query(f"CONN#{DEST}").items
        assert [c["endpoint"] for c in held if c["connection_id"] == connection_id] == [
            f"{hosts[holder].url}/ws"]  # the record names the host holding the socket
        message_id = app_of(hosts[sender], SOURCE).send(b"qua may chu khac", DEST)
        pushed = dest.wait_for("message.available", message_id=message_id)
        assert pushed["source"] == SOURCE


def test_the_inbox_is_the_same_through_either_host(hosts: tuple[LocalHub, LocalHub]) -> None:
    first, second = hosts
    message_id = app_of(second, SOURCE).send(b"hop thu chung", DEST)
    through_a = every_id(app_of(first, DEST), "/v1/inbox")
    through_b = every_id(app_of(second, DEST), "/v1/inbox")
    assert message_id in through_a
    assert through_a == through_b


def test_both_hosts_taking_writes_at_once_lose_nothing(
        hosts: tuple[LocalHub, LocalHub], table: SqliteTable) -> None:
    first, second = hosts
    destinations = (DEST, OPERATOR)
    inbox_before = {d: set(every_id(app_of(first, d), "/v1/inbox")) for d in destinations}
    outbox_before = set(every_id(app_of(first, SOURCE), "/v1/outbox"))
    stats_before = counters(table, SOURCE)
    workers = [(hub, n) for hub in hosts for n in range(THREADS_PER_HOST)]
    start = threading.Barrier(len(workers))

    def send_many(hub: LocalHub, worker: int) -> list[tuple[str, str, int]]:
        """Messages through one host, alternating destinations: (id, destination, size)."""
        app, sent = app_of(hub, SOURCE), []
        start.wait(timeout=30)
        for i in range(MESSAGES_PER_THREAD):
            body = f"{hub.url} worker {worker} message {i}".encode()
            to = destinations[(worker + i) % 2]
            sent.append((app.send(body, to), to, len(body)))
        return sent

    began = time.monotonic()
    with ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(send_many, hub, n) for hub, n in workers]
        errors = [f.exception(timeout=120) for f in futures]
    elapsed = time.monotonic() - began
    assert errors == [None] * len(workers), (errors, locked_lines(first, second))
    sent = [row for f in futures for row in f.result()]
    total = len(hosts) * THREADS_PER_HOST * MESSAGES_PER_THREAD
    assert len(sent) == len({row[0] for row in sent}) == total

    for n, (message_id, _, _) in enumerate(sent):  # read back through both hosts
        status, body = app_of(hosts[n % 2], SOURCE).call("GET", f"/v1/messages/{message_id}")
        assert status == 200 and body["message"]["state"] == "verified", body
    for d in destinations:
        listed = Counter(every_id(app_of(second, d), "/v1/inbox"))
        expected = {row[0] for row in sent if row[1] == d}
        assert {i for i in listed if i not in inbox_before[d]} == expected
        assert all(listed[i] == 1 for i in expected)
    outbox = every_id(app_of(first, SOURCE), "/v1/outbox")
    new_entries = [i for i in outbox if i not in outbox_before]
    assert sorted(new_entries) == sorted(row[0] for row in sent)
    stats = counters(table, SOURCE)
    assert stats["sent"] - stats_before["sent"] == total
    assert stats["bytes_sent"] - stats_before["bytes_sent"] == sum(row[2] for row in sent)
    assert locked_lines(first, second) == []
    print(json.dumps({"messages": total, "seconds": round(elapsed, 2)}))


def test_stopping_an_attached_host_leaves_the_store_running(
        hosts: tuple[LocalHub, LocalHub]) -> None:
    first, _ = hosts
    third = host_beside(first)
    third.start()
    content = b"qua may thu ba"
    message_id = app_of(third, SOURCE).send(content, DEST)
    assert third.stop() == 0
    status, grant = app_of(first, DEST).call("POST", f"/v1/messages/{message_id}/fetch", {})
    assert status == 200, grant
    download = requests.request(grant["method"], grant["url"], headers=grant["headers"],
                                timeout=30)
    assert download.status_code == 200  # the first host's store still serves the content
    assert hashlib.sha256(download.content).hexdigest() == grant["sha256"]
