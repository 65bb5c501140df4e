"""The local host's HTTP server: a fixed pool of workers for requests, and one thread that
watches every connection between requests.

Threads, whatever the number of clients: one accepts, one (the keeper) waits on all
connections that have no request in progress, `workers` serve requests. A connection goes
to a worker only once it has bytes to read; the worker answers one request and hands the
connection back to the keeper (kept alive, or lingering before its close). So a client
that connects and says nothing, or keeps its connection open between calls, costs a file
descriptor, not a thread; and a slow client holds a worker at most `header_timeout`
(then `body_timeout`), see `http_connection`. While some worker is free, a worker that has
answered waits `follow_up` (20 ms) for the same client's next call before handing the
connection back: a client calling in sequence then costs no trip through the keeper
(measured: about 25 µs of CPU per request more than a thread per connection, instead of
about 80; docs/performance.md).

When every worker is busy and `queue` requests already wait for one, the next request is
answered at once with 503 `busy` and `Retry-After: 1`, from the keeper's thread. That was
chosen over leaving connections in the kernel's backlog: the client learns at once and
can retry (or try another host) instead of waiting out its connect timeout, and the
backlog still absorbs bursts of connects.

A WebSocket is not a request: its upgrade leaves the pool for a thread of its own for the
life of the connection, counted against `max_websockets` instead (see `host`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import selectors
import socket
import threading
import time
from collections import OrderedDict
from enum import Enum
from http.server import HTTPServer
from typing import Any

from infra.local.http_connection import HttpConnection, HttpLimits, Outcome

log = logging.getLogger("lgsp.http")


class Wait(Enum):
    """What the keeper waits for on a connection, each with its own timeout."""

    FIRST = "first"  # a new connection's first request (header_timeout)
    IDLE = "idle"  # the next request on a kept-alive connection (idle_timeout)
    LINGER = "linger"  # the client's end, after our last answer (linger_timeout)


class Workers:
    """`limits.workers` threads taking connections that have a request to read."""

    def __init__(self, limits: HttpLimits, keeper: Keeper) -> None:
        self._limits = limits
        self._keeper = keeper
        self._queue: queue.SimpleQueue[HttpConnection | None] = queue.SimpleQueue()
        self._taken = 0  # connections submitted and not yet served: in a worker or queued
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._run, name=f"http-worker-{n}",
                                          daemon=True) for n in range(limits.workers)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, connection: HttpConnection) -> bool:
        """Hand a connection to a free worker, or queue it; False when every worker is
        busy and `queue` connections already wait."""
        with self._changed:
            if self._taken >= self._limits.workers + self._limits.queue:
                return False
            self._taken += 1
            self._changed.notify_all()
        self._queue.put(connection)
        return True

    def wait_queued(self, count: int, timeout: float) -> bool:
        """Wait until exactly `count` requests wait for a worker (for tests, monitoring)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: max(0, self._taken - self._limits.workers) == count, timeout)

    def stop(self) -> None:
        """Let each worker finish its request (at most `shutdown_grace`), then end."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + self._limits.shutdown_grace
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while (connection := self._queue.get()) is not None:
            try:
                if self._keeper.stopping:
                    connection.close()
                else:
                    self._serve(connection)
            finally:
                with self._changed:
                    self._taken -= 1
                    self._changed.notify_all()

    def _serve(self, connection: HttpConnection) -> None:
        while True:
            try:
                outcome = connection.serve_one()
            except Exception:  # serve_one answers its own errors; this is a last resort
                log.exception("connection failed")
                outcome = Outcome.CLOSE
            if outcome is not Outcome.KEEP or not self._next_request_here(connection):
                break
        self._keeper.after(connection, outcome)

    def _next_request_here(self, connection: HttpConnection) -> bool:
        """Whether the connection's next request is here already (pipelined) or comes
        within `follow_up` while no other connection waits for a worker: a client
        calling in sequence is served on without a round trip through the keeper."""
        if connection.has_buffered_input():
            return True
        if self._keeper.stopping:
            return False
        with self._changed:
            if self._taken >= self._limits.workers:
                return False  # no worker is free: others may need this one
        return connection.readable_within(self._limits.follow_up)


class Keeper:
    """One thread that waits on every connection without a request in progress: it hands
    a readable one to the workers (or answers `busy`), closes those idle too long, and
    drains the ones closing (lingering close)."""

    def __init__(self, limits: HttpLimits) -> None:
        self._limits = limits
        self.workers = Workers(limits, self)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._incoming: list[tuple[HttpConnection, Wait]] = []
        self._waiting: dict[Wait, OrderedDict[HttpConnection, float]] = {
            wait: OrderedDict() for wait in Wait}
        self._timeouts = {Wait.FIRST: limits.header_timeout, Wait.IDLE: limits.idle_timeout,
                          Wait.LINGER: limits.linger_timeout}
        self.stopping = False
        self._thread = threading.Thread(target=self._run, name="http-keeper", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.workers.start()

    def add(self, connection: HttpConnection, wait: Wait) -> None:
        """Watch a connection (from any thread)."""
        with self._lock:
            stopping = self.stopping
            if not stopping:
                self._incoming.append((connection, wait))
        if stopping:
            connection.close()
            return
        with contextlib.suppress(OSError):  # a full wake-up pipe wakes the keeper anyway
            self._wake_w.send(b"\0")

    def after(self, connection: HttpConnection, outcome: Outcome) -> None:
        """Take back a connection a worker has answered."""
        if outcome is Outcome.KEEP:
            self.add(connection, Wait.IDLE)
        elif outcome is Outcome.LINGER:
            connection.start_linger()
            self.add(connection, Wait.LINGER)
        elif outcome is Outcome.CLOSE:
            connection.close()

    def stop(self) -> None:
        """Close every connection waiting here, then the workers finish and end."""
        with self._lock:
            self.stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        self._thread.join(self._limits.shutdown_grace)
        self.workers.stop()

    def _run(self) -> None:
        while True:
            with self._lock:
                incoming, self._incoming = self._incoming, []
                stopping = self.stopping
            if stopping:
                self._close_all(incoming)
                return
            try:
                self._turn(incoming)
            except Exception:  # the keeper must outlive any one connection's trouble
                log.exception("http keeper")

    def _turn(self, incoming: list[tuple[HttpConnection, Wait]]) -> None:
        for connection, wait in incoming:
            self._watch(connection, wait)
        for key, _ in self._selector.select(self._next_timeout()):
            if key.data is None:
                with contextlib.suppress(OSError):
                    self._wake_r.recv(4096)
                continue
            connection, wait = key.data
            if wait is Wait.LINGER:
                if connection.drain():
                    self._forget(connection, wait)
                    connection.close()
                continue
            self._forget(connection, wait)
            if not self.workers.submit(connection):
                connection.refuse_busy()
                connection.start_linger()
                self._watch(connection, Wait.LINGER)
        self._expire()

    def _watch(self, connection: HttpConnection, wait: Wait) -> None:
        try:
            self._selector.register(connection.connection, selectors.EVENT_READ,
                                    (connection, wait))
        except (KeyError, ValueError, OSError):  # closed meanwhile
            connection.close()
            return
        self._waiting[wait][connection] = time.monotonic() + self._timeouts[wait]
        first, idle = self._waiting[Wait.FIRST], self._waiting[Wait.IDLE]
        lingering = self._waiting[Wait.LINGER]
        while len(first) + len(idle) > self._limits.max_idle:  # the oldest idle one goes
            oldest, kind = (next(iter(idle)), Wait.IDLE) if idle else (next(iter(first)),
                                                                      Wait.FIRST)
            self._forget(oldest, kind)
            oldest.close()
        while len(lingering) > self._limits.max_idle:  # a flood of refusals: close sooner
            oldest = next(iter(lingering))
            self._forget(oldest, Wait.LINGER)
            oldest.close()

    def _forget(self, connection: HttpConnection, wait: Wait) -> None:
        self._waiting[wait].pop(connection, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection.connection)

    def _next_timeout(self) -> float | None:
        fronts = [next(iter(waiting.values())) for waiting in self._waiting.values() if waiting]
        return max(0.0, min(fronts) - time.monotonic()) if fronts else None

    def _expire(self) -> None:
        """Close the connections whose wait is over (each map is in deadline order)."""
        now = time.monotonic()
        for wait, waiting in self._waiting.items():
            while waiting:
                connection, deadline = next(iter(waiting.items()))
                if deadline > now:
                    break
                self._forget(connection, wait)
                connection.close()

    def _close_all(self, incoming: list[tuple[HttpConnection, Wait]]) -> None:
        for connection, _ in incoming:
            connection.close()
        for waiting in self._waiting.values():
            for connection in waiting:
                connection.close()
            waiting.clear()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


class EdgeServer(HTTPServer):
    """Accepts connections and hands them to the keeper; counts open WebSockets."""

    # socketserver's default backlog of 5 overflows when a few dozen clients (or the other
    # host processes' pushes) connect at once; the kernel then drops or resets connections.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[HttpConnection],
                 limits: HttpLimits) -> None:
        super().__init__(address, handler)
        self._handler = handler
        self.limits = limits
        self._keeper = Keeper(limits)
        self._websockets = 0
        self._websockets_changed = threading.Condition()
        self._keeper.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._keeper.add(self._handler(request, client_address, self), Wait.FIRST)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed before its first request (reset while accepted)."""
        log.warning("connection from %s failed", client_address, exc_info=True)

    def shutdown(self) -> None:
        self.stop_accepting()
        self.stop_connections()

    def stop_accepting(self) -> None:
        """`serve_forever` returns and the listening socket closes, so new connections are
        refused at once (a balancer sends them to another host) rather than left in the
        backlog; connections already accepted stay."""
        super().shutdown()
        self.socket.close()

    def stop_connections(self) -> None:
        """Close the connections waiting for a request; let requests in progress finish
        (at most `shutdown_grace`)."""
        self._keeper.stop()

    def wait_queued(self, count: int, timeout: float) -> bool:
        return self._keeper.workers.wait_queued(count, timeout)

    # WebSockets: each holds a thread for its life, so they have a cap of their own.

    def open_websocket(self) -> bool:
        """Take a WebSocket slot; False when `max_websockets` are open."""
        with self._websockets_changed:
            if self._websockets >= self.limits.max_websockets:
                return False
            self._websockets += 1
            return True

    def websocket_closed(self) -> None:
        with self._websockets_changed:
            self._websockets -= 1
            self._websockets_changed.notify_all()

    def wait_websockets(self, count: int, timeout: float) -> bool:
        """Wait until exactly `count` WebSockets are open (for tests, monitoring)."""
        with self._websockets_changed:
            return self._websockets_changed.wait_for(lambda: self._websockets == count,
                                                     timeout)
