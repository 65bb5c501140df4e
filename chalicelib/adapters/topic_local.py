"""The in-process topic of the single-machine host and the tests: publish calls every
subscriber in turn (the cloud's SNS topic calls the subscriber function the same way)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from chalicelib.domain.ports import Event

log = logging.getLogger("lgsp.topic")
Subscriber = Callable[[Event], object]


class LocalTopic:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:  # a topic isolates its subscribers, as SNS does; logged
                log.exception("subscriber failed on %s for %s", event.type, event.message_id)
