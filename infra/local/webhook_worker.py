"""Webhook delivery on a `make run` host (docs/webhooks.md, "Delivery").

A thread of the host that holds the sweeper's lease runs `webhook_delivery.run` every
`poll_seconds` (1 s by default, `LGSP_WEBHOOK_POLL_SECONDS`), and at once when a request
of this process has just written events to the outbox (`Deps.kick_webhooks`): the same
code a scheduled function runs on AWS. Only the lease holder delivers, so two hosts do
not attempt one delivery side by side; if one ever did (a holder that lost its lease mid-run), the
delivery's outcome is written once and the receiver drops the second copy by its event id.
"""

from __future__ import annotations

import logging
import threading

from chalicelib.services import webhook_delivery
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.webhooks")


class WebhookWorker:
    def __init__(self, deps: Deps, *, leading: threading.Event, poll_seconds: float,
                 stop: threading.Event) -> None:
        self.deps, self.leading, self.stop = deps, leading, stop
        self.poll_seconds = poll_seconds
        self._woken = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)

    def wake(self) -> None:
        """Run now: events were just written to the outbox (`Deps.kick_webhooks`)."""
        self._woken.set()

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self.stop.is_set():
            self._woken.clear()  # a wake from here on shortens the next wait
            if self.leading.is_set():
                try:
                    webhook_delivery.run(self.deps, budget_seconds=max(self.poll_seconds, 5))
                except Exception:  # the table is away: the next run tries again
                    log.exception("webhook delivery run failed")
            self._woken.wait(self.poll_seconds)
