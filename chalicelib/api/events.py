"""Event sources other than HTTP."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from typing import Any

from chalicelib.bootstrap import deps
from chalicelib.domain import events
from chalicelib.domain.errors import LgspError
from chalicelib.domain.lifecycle import MessageState
from chalicelib.services import edxml_intake, push, send, sweeper

log = logging.getLogger("lgsp.events")
OBJECT_KEY = re.compile(r"^exchange/([0-9a-f]{1,64})/content$")


def handle_object_created(event: dict[str, Any]) -> dict[str, Any]:
    """S3 ObjectCreated: verify and deliver the upload even if the client never calls
    `complete`. Unknown keys and refused uploads are logged and skipped, never retried."""
    done: list[str] = []
    for record in event.get("Records", []):
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        match = OBJECT_KEY.match(key)
        if match is None:
            log.warning("object_created: not an exchange object")
            continue
        message_id = match.group(1)
        try:
            msg = send.complete(deps(), None, message_id, {})
            if msg["state"] == MessageState.CHECKING:  # edXML: read it here, not in a request
                msg = edxml_intake.check(deps(), msg)
        except LgspError as err:
            log.warning("object_created: %s refused: %s", message_id, err.code)
            continue
        done.append(f"{message_id}:{msg['state']}")
    return {"processed": done}


def handle_topic_event(event: dict[str, Any]) -> dict[str, Any]:
    """SNS delivery of one or more hub events: push them, most urgent first. A failure
    raises, so SNS retries the delivery (pushes are idempotent for the receiver: frames
    carry the message id)."""
    batch = [events.from_dict(json.loads(record["Sns"]["Message"]))
             for record in event.get("Records", [])]
    return {"frames": push.deliver_all(deps(), batch)}


def handle_sweep() -> dict[str, Any]:
    return sweeper.sweep(deps()).as_dict()


def handle_webhooks() -> dict[str, Any]:
    """One scheduled run of webhook delivery, within the function's 90 s: new attempts
    stop after 50 s, and an attempt takes at most `LGSP_WEBHOOK_TIMEOUT_SECONDS` more."""
    from chalicelib.services import webhook_delivery
    return webhook_delivery.run(deps(), budget_seconds=50).as_dict()
