"""Telling parties what happened, after the change is committed (R-COMP-5).

The lists (inbox, outbox, a message's status) stay the truth; events are the fast path.
A topic that fails after the commit must not turn a done change into a failed request
(the caller would retry something that happened), so a failure is logged and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from chalicelib.domain.ports import Event
from chalicelib.services import webhook_outbox
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.events")


def tell(deps: Deps, events: Iterable[Event | None]) -> None:
    told = False
    for event in events:
        if event is None:
            continue
        told = True
        try:
            deps.topic.publish(event)
        except Exception:  # after the commit: logged, never the caller's failure
            log.exception("event %s for %s not published", event.type, event.recipient)
    if told and webhook_outbox.written():
        deps.kick_webhooks()  # deliver them now rather than at the worker's next poll
