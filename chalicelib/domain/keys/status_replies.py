"""Table keys of status replies (edXML status codes; docs/edxml.md "Status replies",
docs/data-model.md R1-R4), part of `chalicelib.domain.keys`: import them from there
(`keys.status_reply(...)`), like every other key.

Every reply lives in its message's partition (`MSG#{id}`), beside the deliveries and the
trace, so a message's replies are one query and never a scan:
- `REPLY#{reply id}`: the reply (ids are time-ordered, so the source lists every reply
  oldest first with one prefix query);
- `REPLYBY#{unit}#{reply id}`: a copy in the answering unit's range, so a destination
  reads its own replies (and the source's) without reading the others';
- `REPLYLAST#{unit}`: the unit's latest reply and how many it sent: a repeated identical
  reply is recognised by one read, the number of replies a unit can add is bounded, and
  two replies of one unit at once cannot both be written (a conditional put on it).
"""

from __future__ import annotations

REPLIES = "REPLY#"
UNIT_REPLIES = "REPLYBY#"


def _partition(message_id: str) -> str:
    return f"MSG#{message_id}"


def status_reply(message_id: str, reply_id: str) -> tuple[str, str]:
    return _partition(message_id), f"{REPLIES}{reply_id}"


def unit_replies(unit_code: str) -> str:
    """The `sk` prefix of one unit's copies in a message's partition."""
    return f"{UNIT_REPLIES}{unit_code}#"


def unit_status_reply(message_id: str, unit_code: str, reply_id: str) -> tuple[str, str]:
    return _partition(message_id), f"{unit_replies(unit_code)}{reply_id}"


def latest_status_reply(message_id: str, unit_code: str) -> tuple[str, str]:
    return _partition(message_id), f"REPLYLAST#{unit_code}"
