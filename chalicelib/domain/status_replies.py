"""Status replies: which unit may answer which message with which edXML status code, and
when (R-SEND-5, R-PROP-10; the national document axis' status codes, docs/edxml.md
"Status replies"). Pure: the service loads the message, the unit's delivery and its
earlier replies, asks this module, and writes.

Who sends what (the codes are `edxml.status.StatusCode`):
- a **destination** answers a document it has received: 01 arrived, 02 rejected,
  03 accepted, 04 assigned, 05 in progress, 06 completed; and 15 / 16 (recall or update
  accepted / refused) when the message is a recall, update or replace (its edXML
  `BussinessDocType` 1-3) or its source asked for a recall (13);
- the **source** sends 13 (recall requested) only: it asks the destinations of a document
  already delivered to give it back, and they answer 15 or 16. The pairing of the codes
  (13 requested, 15 accepted, 16 refused) puts the request and its answers on opposite
  sides, and the answers are the destinations' (they answer recalls and updates).

When: a destination answers once its delivery was fetched (`fetched`, `confirmed`, or
`rejected`, which then only 02 answers); before the first fetch nothing reached the unit's
document system, so not even 01 "arrived" would be true. Replies go on after the message
completed (05, 06 come days later), never for a delivery that expired or moved to a
successor. A reply relayed from a peer hub (it has hops) was checked there: here only an
expired or moved delivery refuses it, since its delivery's state and the reply may cross
on the way.

Repeats: the same code with the same comment as the unit's latest reply, within
`REPEAT_SECONDS`, is that reply again (a retried request answers 200 with it, nothing is
written); a relayed reply is a repeat of any earlier one with its code, comment and time.
A unit sends at most `MAX_PER_UNIT` replies to one message (its trace stays bounded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .edxml.dates import format_time, parse_date
from .edxml.models import Code, Organization
from .edxml.status import ResponseFor, StatusCode, StatusReply, render_status
from .errors import ConflictError, InvalidRequestError
from .lifecycle import DeliveryState, MessageState

Role = Literal["source", "destination"]
REPEAT_SECONDS = 600
MAX_PER_UNIT = 30
COMMENT_MAX = 1000
RECALL = 1  # BussinessDocType: 0 new, 1 recall, 2 update, 3 replace
RECALLS_AND_UPDATES = (1, 2, 3)
SOURCE_CODES = (StatusCode.RECALL_REQUESTED,)
RECALL_ANSWERS = (StatusCode.RECALL_OR_UPDATE_ACCEPTED, StatusCode.RECALL_OR_UPDATE_REFUSED)
_D = DeliveryState
_ANSWERABLE = (_D.FETCHED, _D.CONFIRMED, _D.REJECTED)


def listed_codes() -> str:
    return ", ".join(f"{c.value} {c.meaning}" for c in StatusCode)


def parse_code(text: str) -> StatusCode:
    """The status code, or 400 `invalid_status_code` naming the codes there are."""
    if text in {c.value for c in StatusCode}:
        return StatusCode(text)
    raise InvalidRequestError(f"'{text}' is not a status code; the codes are: "
                              f"{listed_codes()}.", code="invalid_status_code")


def comment_of(text: str | None) -> str | None:
    """The comment trimmed (empty: none), at most `COMMENT_MAX` characters."""
    cleaned = (text or "").strip()
    if len(cleaned) > COMMENT_MAX:
        raise InvalidRequestError(f"comment: String should have at most {COMMENT_MAX} "
                                  "characters", code="validation_failed")
    return cleaned or None


def role_of(source: str, destinations: Sequence[str], unit: str, code: StatusCode
            ) -> Role | None:
    """Whether `unit` answers as the message's destination or as its source (None: it
    is neither, and is told the message does not exist)."""
    if unit in destinations and (code not in SOURCE_CODES or unit != source):
        return "destination"
    return "source" if unit == source else None


@dataclass(frozen=True)
class Situation:
    """What decides whether a reply may be recorded now."""

    role: Role
    message_state: str
    delivery_state: str | None = None  # the destination's (None: no delivery yet)
    moved_to: str | None = None
    business_doc_type: int | None = None  # None: not an edXML message
    recall_requested: bool = False  # the source sent 13
    sent_before: int = 0  # the unit's replies to this message so far
    relayed: bool = False  # from a peer hub, checked there


def _not_allowed(message: str) -> ConflictError:
    return ConflictError(message, code="status_not_allowed")


def refusal(code: StatusCode, s: Situation) -> ConflictError | None:
    """Why the reply may not be recorded (None: it may)."""
    why = _source_refusal(code, s) if s.role == "source" else _destination_refusal(code, s)
    if why is None and s.sent_before >= MAX_PER_UNIT:
        return ConflictError(f"Your unit has sent {s.sent_before} status replies to this "
                             f"message, the most one unit may send ({MAX_PER_UNIT}).",
                             code="too_many_status_replies")
    return why


def _source_refusal(code: StatusCode, s: Situation) -> ConflictError | None:
    if code not in SOURCE_CODES:
        return _not_allowed(f"The source of a message sends only 13 (recall requested); "
                            f"{code.value} ({code.meaning}) is its destinations' answer.")
    if s.message_state not in (MessageState.VERIFIED, MessageState.COMPLETED):
        return _not_allowed(f"This message was not delivered (state {s.message_state}): "
                            "there is nothing to recall.")
    if s.business_doc_type == RECALL:
        return _not_allowed("This message is itself a recall; it cannot be recalled.")
    return None


def _destination_refusal(code: StatusCode, s: Situation) -> ConflictError | None:
    if code in SOURCE_CODES:
        return _not_allowed("13 (recall requested) is sent by the source of a document to "
                            "its destinations; a destination answers it with 15 or 16.")
    if s.delivery_state == _D.EXPIRED:
        return _not_allowed("The deadline of this message passed before your unit "
                            "confirmed it: it can no longer be answered.")
    if s.delivery_state == _D.MOVED:
        return _not_allowed(f"This delivery moved to {s.moved_to}, your unit's successor "
                            "(re-organisation): the successor answers it.")
    if not s.relayed:
        if s.delivery_state not in _ANSWERABLE:
            return _not_allowed("Fetch the message first: a status reply (01 arrived "
                                "included) answers a document your unit has received.")
        if s.delivery_state == _D.REJECTED and code != StatusCode.REJECTED:
            return _not_allowed("Your unit rejected this message: only 02 (rejected) "
                                "answers it now.")
    if code in RECALL_ANSWERS and not (s.recall_requested
                                       or s.business_doc_type in RECALLS_AND_UPDATES):
        return _not_allowed(f"{code.value} answers a recall or an update (an edXML document "
                            "whose BussinessDocType is 1-3, or the source's 13 recall "
                            "requested); this message is neither.")
    return None


def repeat_of(earlier: Sequence[dict[str, Any]], code: StatusCode, comment: str | None,
              at: int, *, relayed: bool) -> dict[str, Any] | None:
    """The earlier reply (of the same unit, oldest first) this one repeats, if any."""
    if relayed:
        return next((r for r in earlier if (r["code"], r.get("comment"), r["at"])
                     == (code.value, comment, at)), None)
    if not earlier:
        return None
    last = earlier[-1]
    same = (last["code"], last.get("comment")) == (code.value, comment)
    return last if same and 0 <= at - int(last["at"]) <= REPEAT_SECONDS else None


def visible_to(reply: dict[str, Any], unit: str, source: str) -> bool:
    """The source sees every reply; a destination its own and the source's (13)."""
    return unit == source or reply["unit"] in (unit, source)


def clean_hops(hops: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The hubs a relayed reply came through, each `{"hub": str, "at": int}`, in order."""
    return [{"hub": str(h["hub"]), "at": int(h["at"])} for h in hops or ()]


def response_for(msg: dict[str, Any]) -> ResponseFor:
    """The document a reply answers, as a status package names it: from the edXML facts
    kept on the message; for a message that is not edXML, its source as the OrganId and
    the hub's message id as the DocumentId (the id the source knows it by)."""
    facts = msg.get("edxml")
    if not isinstance(facts, dict):
        return ResponseFor(organ_id=msg["source"], document_id=msg["id"])
    day = parse_date(facts.get("promulgation_date"))
    code = Code(facts.get("code_number"), facts.get("code_notation"))
    return ResponseFor(organ_id=facts.get("organ_id") or msg["source"],
                       code=code if code.code_number or code.code_notation else None,
                       promulgation_date=day.strftime("%Y/%m/%d") if day else None,
                       document_id=facts.get("document_id") or msg["id"])


def status_package(msg: dict[str, Any], reply: dict[str, Any], organ_name: str) -> bytes:
    """The reply as an edXML status package (QCVN 102): `From` the answering unit, named
    `organ_name`; `Description` its comment; `Timestamp` when it answered."""
    when = datetime.fromtimestamp(int(reply["at"]), UTC)
    return render_status(StatusReply(
        response_for=response_for(msg),
        from_=Organization(organ_id=reply["unit"], organ_name=organ_name),
        status_code=reply["code"], description=reply.get("comment"),
        timestamp=format_time(when)))
