"""Status replies (edXML status codes, R-SEND-5, R-PROP-10; docs/edxml.md "Status
replies"): a destination answers a message (01 arrived … 06 completed, 15/16 to a recall
or update), the source asks for a recall (13); the hub records the reply, traces it, tells
the other side (`message.status`) and renders it as an edXML status package.

The rules are `domain/status_replies.py`'s. `record` is the part a relay calls for a reply
that arrives from a peer hub (the unit is then a remote unit, with the hops it came
through); `reply` is a local unit's call, authorised here, and calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import events, keys
from chalicelib.domain.edxml.status import StatusCode
from chalicelib.domain.errors import ConflictError, NotFoundError, TransactionConflictError
from chalicelib.domain.ports import Condition, Item, Put
from chalicelib.domain.signatures import Caller
from chalicelib.domain.status_replies import (
    MAX_PER_UNIT,
    RECALL_ANSWERS,
    RECALLS_AND_UPDATES,
    SOURCE_CODES,
    Role,
    Situation,
    clean_hops,
    comment_of,
    parse_code,
    refusal,
    repeat_of,
    role_of,
    status_package,
    visible_to,
)
from chalicelib.domain.status_reply_schemas import HopView, StatusReplyPage, StatusReplyView
from chalicelib.domain.times import iso
from chalicelib.services import webhook_outbox
from chalicelib.services.access import message_for_party, not_found
from chalicelib.services.audit import trace_put
from chalicelib.services.deps import Deps
from chalicelib.services.publish import tell
from chalicelib.services.relay_reports import report_ops

ATTEMPTS = 3  # a reply racing another of the same unit is decided again after a re-read


@dataclass(frozen=True)
class Replied:
    view: StatusReplyView
    replayed: bool  # the same reply as one just sent: nothing new was written


def reply(deps: Deps, caller: Caller, message_id: str, code: str,
          comment: str | None) -> Replied:
    """A local unit answers a message: one of its destinations (01-06, 15, 16), or its
    source (13). Any other unit is told the message does not exist."""
    msg, _ = message_for_party(deps, message_id, caller.unit)
    item, written = _record(deps, msg, caller.unit, code, at=deps.clock.now(),
                            comment=comment, hops=None)
    return Replied(reply_view(item), replayed=not written)


def record(deps: Deps, msg: Item, unit: str, code: str, *, at: int, comment: str | None,
           hops: list[dict[str, Any]] | None = None) -> Item:
    """Record `unit`'s reply `code` to `msg`, answered at `at`, in one transaction (the
    reply, its copy in the unit's range, the unit's count, a `status` trace line), then
    tell the other side. `hops` (`[{"hub", "at"}]`, in order) mark a reply relayed from a
    peer hub; they are kept and shown. A repeat answers the reply recorded before.
    Raises 400 `invalid_status_code`, 404 `message_not_found` (the unit is not a party),
    409 `status_not_allowed`, `too_many_status_replies`."""
    item, _ = _record(deps, msg, unit, code, at=at, comment=comment, hops=hops)
    return item


def _record(deps: Deps, msg: Item, unit: str, code: str, *, at: int, comment: str | None,
            hops: list[dict[str, Any]] | None) -> tuple[Item, bool]:
    status = parse_code(code)
    note, path = comment_of(comment), clean_hops(hops)
    role = role_of(msg["source"], msg["to"], unit, status)
    if role is None:
        raise not_found()
    for _ in range(ATTEMPTS):
        earlier = _replies_of(deps, msg["id"], unit)
        same = repeat_of(earlier, status, note, at, relayed=bool(path))
        if same is not None:
            return same, False
        situation = _situation(deps, msg, unit, status, role=role, sent_before=len(earlier),
                               relayed=bool(path))
        if (refused := refusal(status, situation)) is not None:
            raise refused
        item: Item = {"kind": "status_reply", "id": deps.ids.new_id(), "message": msg["id"],
                      "unit": unit, "role": role, "code": status.value, "comment": note,
                      "at": at, "recorded_at": deps.clock.now(), "hops": path}
        recipients = [msg["source"]] if role == "destination" else list(msg["to"])
        told = [events.status_reply(msg, item, r, status.meaning) for r in recipients]
        try:
            deps.table.transact([*_writes(deps, msg, item, len(earlier)),
                                 *webhook_outbox.ops(deps, told)])
        except TransactionConflictError:
            continue  # another reply of the unit came first: look again
        tell(deps, told)
        if msg.get("origin"):
            deps.kick()  # its report to the origin hub
        return item, True
    raise ConflictError("Another status reply of your unit to this message was recorded "
                        "meanwhile; retry.", code="conflict")


def _writes(deps: Deps, msg: Item, item: Item, before: int) -> list[Any]:
    mid, unit, rid = msg["id"], item["unit"], item["id"]
    pk, sk = keys.status_reply(mid, rid)
    copy_pk, copy_sk = keys.unit_status_reply(mid, unit, rid)
    count_pk, count_sk = keys.latest_status_reply(mid, unit)
    guard = Condition(equals={"count": before}) if before else Condition(exists=False)
    return [Put({"pk": pk, "sk": sk, **item}, Condition(exists=False)),
            Put({"pk": copy_pk, "sk": copy_sk, **item}, Condition(exists=False)),
            Put({"pk": count_pk, "sk": count_sk, "kind": "status_reply_count",
                 "count": before + 1, "last": rid}, guard),
            trace_put(deps, mid, "status", unit=unit, detail=item["code"]),
            # a reply of ours to a message a peer hub relayed: reported to the origin
            *([] if item["hops"] or item["role"] != "destination" else
              report_ops(deps, msg, unit, "status", code=item["code"],
                         comment=item["comment"]))]


def _replies_of(deps: Deps, message_id: str, unit: str) -> list[Item]:
    """A unit's replies to a message, oldest first (at most `MAX_PER_UNIT`: one page)."""
    page = deps.table.query(keys.message_partition(message_id),
                            prefix=keys.unit_replies(unit), limit=MAX_PER_UNIT + 1)
    return page.items


def _situation(deps: Deps, msg: Item, unit: str, code: StatusCode, *, role: Role,
               sent_before: int, relayed: bool) -> Situation:
    doc_type = (msg.get("edxml") or {}).get("business_doc_type")
    if role == "source":
        return Situation(role, msg["state"], business_doc_type=doc_type,
                         sent_before=sent_before)
    delivery = deps.table.get(*keys.delivery(msg["id"], unit)) or {}
    asked = code in RECALL_ANSWERS and doc_type not in RECALLS_AND_UPDATES and any(
        r["code"] in SOURCE_CODES for r in _replies_of(deps, msg["id"], msg["source"]))
    return Situation(role, msg["state"], delivery.get("state"), delivery.get("moved_to"),
                     doc_type, asked, sent_before, relayed)


def list_replies(deps: Deps, caller: Caller, message_id: str, *, limit: int = 50,
                 cursor: str | None = None) -> StatusReplyPage:
    """The source: every reply, oldest first, a page at a time. A destination: its own
    replies and the source's (its requests for a recall), all at once (at most
    2 × `MAX_PER_UNIT`)."""
    msg, is_source = message_for_party(deps, message_id, caller.unit)
    if is_source:
        page = deps.table.query(keys.message_partition(message_id), prefix=keys.REPLIES,
                                limit=limit, cursor=cursor)
        return StatusReplyPage(items=[reply_view(i) for i in page.items],
                               next_cursor=page.cursor)
    seen = [*_replies_of(deps, message_id, caller.unit),
            *_replies_of(deps, message_id, msg["source"])]
    return StatusReplyPage(items=[reply_view(i) for i in sorted(seen, key=lambda i: i["id"])])


def status_package_of(deps: Deps, caller: Caller, message_id: str, reply_id: str
                      ) -> tuple[bytes, str]:
    """One reply the caller may see, as an edXML status package, and its file name."""
    msg, _ = message_for_party(deps, message_id, caller.unit)
    found = deps.table.get(*keys.status_reply(message_id, reply_id)) \
        if reply_id.isalnum() and len(reply_id) <= 64 else None
    if found is None or not visible_to(found, caller.unit, msg["source"]):
        raise NotFoundError("No such status reply of this message.",
                            code="status_reply_not_found")
    unit = deps.table.get(*keys.unit(found["unit"]))
    name = str(unit["name"]) if unit else found["unit"]  # a remote unit: its code
    return status_package(msg, found, name), f"status-{reply_id}.xml"


def reply_view(item: Item) -> StatusReplyView:
    return StatusReplyView(
        id=item["id"], message_id=item["message"], unit=item["unit"], role=item["role"],
        code=item["code"], meaning=StatusCode(item["code"]).meaning,
        comment=item.get("comment"), at=iso(item["at"]), recorded_at=iso(item["recorded_at"]),
        hops=[HopView(hub=h["hub"], at=iso(h["at"])) for h in item.get("hops") or []])
