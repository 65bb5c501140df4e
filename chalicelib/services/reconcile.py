"""After a restore: end the messages whose content the store no longer holds (R-OPS-4).

Content is transient and never backed up, so a table restored from a backup names
content that may be gone. Every message not yet completed or abandoned (read from each
unit's outbox, the units from the directory, as the master-key rotation walks them) is
checked against the store:

- verified, its content object gone: each open delivery expires with reason
  `content_lost` (`domain/lifecycle.ending_for_lost_content`), the source told as for
  an expiry, then the message completes like any other;
- requested with a multipart upload the store no longer holds: abandoned as the
  sweeper abandons an upload that never arrived (a single-PUT upload is left: its
  presigned URL still works against the restored store, and the sweeper abandons it in
  its time if the content never comes).

Every change is the conditional write the sweeper makes, so a second run changes nothing
(`python -m infra.admin reconcile`, run by `restore` too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib.domain import keys, lifecycle
from chalicelib.domain.lifecycle import ABANDON, CONTENT_LOST, EXPIRE
from chalicelib.domain.ports import Item
from chalicelib.services import fanout
from chalicelib.services.content_retention import delete_content_when_done
from chalicelib.services.deps import Deps
from chalicelib.services.endings import abandon_message, expire_delivery, purge_upload
from chalicelib.services.partitions import every_item

log = logging.getLogger("lgsp.reconcile")
PAGE = 200
PROBE = "exchange/reconcile-probe"  # no such object: a HEAD that only says the store answers


@dataclass
class ReconcileReport:
    units: int = 0
    messages_checked: int = 0  # not completed or abandoned when read
    content_present: int = 0
    content_lost: int = 0  # verified messages whose content is gone, now ended
    deliveries_ended: int = 0
    uploads_abandoned: int = 0  # requested messages whose multipart upload is gone
    still_uploading: int = 0  # requested, nothing lost (single PUT, or its upload held)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def reconcile(deps: Deps) -> ReconcileReport:
    """Check every open message against the store and end those whose content is gone."""
    report = ReconcileReport()
    deps.objects.head(PROBE)  # the store answers (or this raises) before anything changes
    for message_id in _open_messages(deps, report):
        msg = deps.table.get(*keys.message(message_id))
        ending = lifecycle.ending_for_lost_content(msg["state"]) if msg else None
        if msg is None or ending is None:
            continue
        report.messages_checked += 1
        if ending is EXPIRE:
            _check_content(deps, msg, report)
        elif ending is ABANDON:
            _check_upload(deps, msg, report)
    log.info("reconcile: %s", report.as_dict())
    return report


def _open_messages(deps: Deps, report: ReconcileReport) -> Iterator[str]:
    """Ids of the messages whose outbox entry says they are not over, unit by unit."""
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.DIRECTORY, limit=PAGE, cursor=cursor)
        for entry in page.items:
            report.units += 1
            yield from _unit_open_messages(deps, entry["code"])
        cursor = page.cursor
        if cursor is None:
            return


def _unit_open_messages(deps: Deps, unit: str) -> Iterator[str]:
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.outbox_partition(unit), limit=PAGE, cursor=cursor)
        for entry in page.items:
            if lifecycle.ending_for_lost_content(str(entry.get("state"))) is not None:
                yield str(entry["id"])
        cursor = page.cursor
        if cursor is None:
            return


def _check_content(deps: Deps, msg: Item, report: ReconcileReport) -> None:
    if deps.objects.head(msg["object_key"]) is not None:
        report.content_present += 1
        return
    report.content_lost += 1
    if not msg.get("fanned_out", True):  # an interrupted broadcast: deliver, then end it
        msg = fanout.resume(deps, msg, due=True)
    for delivery in every_item(deps, keys.message_partition(msg["id"]), prefix=keys.DELIVERIES):
        if EXPIRE.allows(delivery["state"]) and expire_delivery(deps, msg, delivery,
                                                                reason=CONTENT_LOST):
            report.deliveries_ended += 1
    delete_content_when_done(deps, msg["id"])


def _check_upload(deps: Deps, msg: Item, report: ReconcileReport) -> None:
    lost = (msg["upload_mode"] == "multipart" and bool(msg.get("upload_id"))
            and not deps.objects.has_upload(msg["object_key"], msg["upload_id"]))
    if not lost:
        report.still_uploading += 1
        return
    if abandon_message(deps, msg, reason=CONTENT_LOST):
        report.uploads_abandoned += 1
    purge_upload(deps, msg)
