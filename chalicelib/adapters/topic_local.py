"""The in-process topic of the single-machine host and the tests: publish hands each event
to every subscriber in turn (the cloud's SNS topic calls the subscriber function the same
way).

`background=True` (the host) delivers on one worker thread, in publishing order, so the
request that published returns without waiting for the pushes, as with SNS; the tests use
the synchronous form. Events still queued when the process stops are lost, like an SNS
delivery that never happened: the pull lists stay the truth.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from chalicelib.domain.ports import Event

log = logging.getLogger("lgsp.topic")
Subscriber = Callable[[Event], object]


class LocalTopic:
    def __init__(self, *, background: bool = False) -> None:
        self._subscribers: list[Subscriber] = []
        self._queue: queue.SimpleQueue[Event] | None = None
        if background:
            self._queue = queue.SimpleQueue()
            threading.Thread(target=self._drain, name="topic", daemon=True).start()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, event: Event) -> None:
        if self._queue is not None:
            self._queue.put(event)
        else:
            self._deliver(event)

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            self._deliver(self._queue.get())

    def _deliver(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:  # a topic isolates its subscribers, as SNS does; logged
                log.exception("subscriber failed on %s for %s", event.type, event.message_id)
