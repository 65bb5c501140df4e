"""The sweeper of a host process, on one host at a time (R-PROP-4, R-PROP-6).

Every host process runs a `SweepLeader`: a heartbeat thread tries to take or renew the
`sweeper` lease in the table (`services/leases.py`) every third of the lease's length, and
a sweep thread sweeps every `sweep_seconds` while this process holds it. When the holder
dies its lease runs out and another process takes it at its next try, so the sweeps go on
within `lease_seconds` plus one try (40 s with the defaults of 30 s and 10 s). A process
that stops gives the lease up first, so another takes it at its next try.

After each sweep the holder deletes the table's expired items (SQLite, PostgreSQL), as
DynamoDB's TTL does on AWS.

The lease saves work, it does not make the sweeps correct: every effect of a sweep is a
conditional write, so two overlapping sweeps (a holder that lost its lease in the middle
of one) tell each event once. On AWS none of this runs: the schedule invokes one function.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from chalicelib.adapters.table_json import JsonItemsTable
from chalicelib.domain.ports import Table
from chalicelib.services import leases, sweeper
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.sweeper")
LEASE = "sweeper"
PURGE_BATCH = 1000  # expired items deleted per transaction
PURGE_MAX = 50_000  # per sweep: the rest goes at the next one


def holder_id(port: int) -> str:
    """This process among the hosts: machine, port and process id."""
    return f"{socket.gethostname()}:{port}:{os.getpid()}"


class SweepLeader:
    def __init__(self, deps: Deps, holder: str, *, sweep_seconds: float,
                 lease_seconds: int, stop: threading.Event) -> None:
        self.deps, self.holder, self.stop = deps, holder, stop
        self.sweep_seconds, self.lease_seconds = sweep_seconds, lease_seconds
        self.leading = threading.Event()
        self._woken = threading.Event()
        self._threads = [threading.Thread(target=self._heartbeat, name="sweeper-lease",
                                          daemon=True),
                         threading.Thread(target=self._sweeps, name="sweeper", daemon=True)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Sweep now rather than at the next interval (work written due now)."""
        self._woken.set()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _heartbeat(self) -> None:
        tick = self.lease_seconds / 3
        while True:
            try:
                holds = leases.hold(self.deps, LEASE, self.holder, self.lease_seconds)
            except Exception:  # the table is away: stop leading, try again next tick
                log.exception("sweeper lease: could not renew")
                holds = False
            if holds != self.leading.is_set():
                log.info("sweeper: %s %s", self.holder,
                         "leads" if holds else "no longer leads")
                (self.leading.set if holds else self.leading.clear)()
            if self.stop.wait(tick):
                break
        self.leading.clear()
        try:
            if leases.release(self.deps, LEASE, self.holder):
                log.info("sweeper: %s gave the lease up", self.holder)
        except Exception:  # it runs out on its own
            log.exception("sweeper lease: could not give it up")

    def _sweeps(self) -> None:
        while not self.stop.is_set():
            if not self.leading.wait(1.0):  # re-checks `stop` every second
                continue
            self._woken.clear()  # a kick from here on wakes the next rest
            try:
                sweeper.sweep(self.deps)
                purge_expired(self.deps.table)
            except Exception:  # the next run retries; the host keeps serving
                log.exception("sweep failed")
            self._rest()

    def _rest(self) -> None:
        """Until the next sweep: the interval, or sooner when woken or stopped."""
        until = time.monotonic() + self.sweep_seconds
        while not self.stop.is_set() and (left := until - time.monotonic()) > 0:
            if self._woken.wait(min(left, 0.5)):
                break


def purge_expired(table: Table) -> int:
    """Delete items whose `ttl` has passed (nonces, idempotency keys, ended sessions, ...)
    from a SQLite or PostgreSQL table, in batches, as DynamoDB's TTL does on AWS: reads
    already ignore them, this keeps the table from growing. Returns how many went."""
    if not isinstance(table, JsonItemsTable):
        return 0  # DynamoDB (or a compatible engine) expires items itself
    purged = 0
    while purged < PURGE_MAX:
        went = table.purge_expired(limit=PURGE_BATCH)
        purged += went
        if went < PURGE_BATCH:
            break
    if purged:
        log.info("purged %d expired items", purged)
    return purged
