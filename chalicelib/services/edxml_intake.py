"""An edXML message's package is read by the hub before anyone receives it (issue 15,
R-SEND-4; docs/edxml.md, "Where the check runs").

    requested ──store──► checking ──verify──► verified     (delivered as any message)
                              └─────refuse──► refused      (content deleted, source told)

`store` is the end of the source's upload (`complete`, or the store's object-created
event): the checksum matched, so the message waits in `checking` with a `check` due item
written in the same transaction. `check` reads the package from the store as a stream, in
memory that does not grow with its size, outside any request handler: in the function the
store's object-created event runs (AWS), or in the sweeper that runs the due item (every
deployment; on `make run` at once, see `Deps.kick`). The bytes never pass through an API
call. Until the check passes a destination sees nothing: the message is in no inbox.
"""

from __future__ import annotations

import logging

from chalicelib.domain import events, keys
from chalicelib.domain.deadlines import CHECK
from chalicelib.domain.edxml import intake
from chalicelib.domain.edxml.models import Problem
from chalicelib.domain.edxml.reader import UnreadablePackageError, read_package
from chalicelib.domain.errors import NotFoundError, TransactionConflictError
from chalicelib.domain.lifecycle import REFUSE, STORE, MessageState
from chalicelib.domain.ports import Item, Put, TransactOp, Update
from chalicelib.services import counters, fanout, webhook_outbox
from chalicelib.services.audit import trace_put
from chalicelib.services.deps import Deps
from chalicelib.services.error_log import line_put
from chalicelib.services.publish import tell
from chalicelib.services.schedule import due_key, due_put

log = logging.getLogger("lgsp.edxml")
_LOST = Problem("edxml_unreadable", "edXML", "the stored package could not be read: its "
                "content is no longer in the store")


def store(deps: Deps, msg: Item) -> Item:
    """The package arrived whole: the message waits for the hub's check (idempotent)."""
    now = deps.clock.now()
    changes = STORE.changes(now)
    try:
        deps.table.transact([
            Update(*keys.message(msg["id"]), set=changes, condition=STORE.guard()),
            Update(*keys.outbox(msg["source"], msg["created_at"], msg["id"]),
                   set={"state": MessageState.CHECKING}),
            trace_put(deps, msg["id"], "stored", unit=msg["source"]),
            due_put(CHECK, now, msg["id"]),
        ])
    except TransactionConflictError:
        return deps.table.get(*keys.message(msg["id"])) or msg
    deps.kick()
    return {**msg, **changes}


def check(deps: Deps, msg: Item) -> Item:
    """Read the stored package and deliver the message, or refuse it. Idempotent: a
    message no longer `checking` is left as it is."""
    if msg["state"] != MessageState.CHECKING:
        return msg
    try:
        package = read_package(deps.objects.read_chunks(msg["object_key"]))
    except UnreadablePackageError as exc:
        return _refuse(deps, msg, [exc.problem])
    except NotFoundError:
        return _refuse(deps, msg, [_LOST])
    doc = intake.document_id(package)
    original = _original(deps, msg["source"], doc) if doc else None
    addressed = [*msg["to"], *(msg.get("rerouted") or {})]  # a merged unit's old code too
    verdict = intake.verdict(package, sender=msg["source"], destinations=addressed,
                             now=deps.clock.now(), created_at=msg["created_at"],
                             confirm_by=msg["confirm_by"], original=original)
    if verdict.refused:
        return _refuse(deps, msg, verdict.problems)
    extra: list[TransactOp] = []
    if doc and intake.business_doc_type(package) == 0:  # what a later recall refers to
        pk, sk = keys.edxml_document(msg["source"], doc)
        extra.append(Put({"pk": pk, "sk": sk, "kind": "edxml_document",
                          "message_id": msg["id"], "to": msg["to"]}))
    done = fanout.verify_and_deliver(deps, msg, verdict.changes, extra=extra)
    _forget_check(deps, msg)
    return done


def _original(deps: Deps, source: str, document_id: str) -> intake.Original | None:
    item = deps.table.get(*keys.edxml_document(source, document_id))
    if item is None:
        return None
    return intake.Original(str(item["message_id"]), tuple(item["to"]))


def _refuse(deps: Deps, msg: Item, problems: list[Problem]) -> Item:
    """Refuse the package: the message ends `refused` with its problems, the source is
    told and its error log says why; the content is deleted."""
    now = deps.clock.now()
    shown = intake.problem_view(problems)
    changes = REFUSE.changes(now, problems=shown, problem_count=len(problems),
                             content_deleted_at=now)
    ops: list[TransactOp] = [
        Update(*keys.message(msg["id"]), set=changes, condition=REFUSE.guard()),
        Update(*keys.outbox(msg["source"], msg["created_at"], msg["id"]),
               set={"state": MessageState.REFUSED}),
        trace_put(deps, msg["id"], "refused", unit=msg["source"], detail=problems[0].code),
        line_put(deps, msg["source"], "refused", problems[0].code,
                 f"edXML package of message {msg['id']} refused: {problems[0].message}",
                 message_id=msg["id"]),
        counters.tally(deps, msg["source"], failures=1),
        *webhook_outbox.ops(deps, told := [events.refused(msg, now, shown)]),
    ]
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return deps.table.get(*keys.message(msg["id"])) or msg
    counters.settle(deps, ops)
    deps.objects.delete(msg["object_key"])
    log.info("edxml: message %s refused: %s", msg["id"], problems[0].code)
    tell(deps, told)
    _forget_check(deps, msg)
    return {**msg, **changes}


def _forget_check(deps: Deps, msg: Item) -> None:
    stored_at = msg.get("stored_at")
    if stored_at is not None:
        deps.table.delete(*due_key(CHECK, int(stored_at), msg["id"]))
