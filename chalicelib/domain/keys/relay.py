"""Table keys of the relay between hubs (docs/federation.md, docs/data-model.md), part of
`chalicelib.domain.keys`: import them from there.

In a message's own partition:
- `RELAY#<peer>`: the origin's hand-over of the message to one peer hub (its units among
  the destinations, attempts, when it was accepted);
- `REPORT#<at>#<rank>#<unit>#<event>`: at the receiving hub, an outcome of one of its
  units still to report to the origin (deleted once the origin has it); `rank` keeps the
  outcomes of one second in the order they happen (a fetch before its confirmation).
"""

from __future__ import annotations

RELAYS, REPORTS = "RELAY#", "REPORT#"


def relay(message_partition: str, peer: str) -> tuple[str, str]:
    return message_partition, f"{RELAYS}{peer}"


_RANK = {"fetched": 0, "status": 1}  # then the outcome that closes the delivery


def report(message_partition: str, at: int, unit: str, event: str) -> tuple[str, str]:
    rank = _RANK.get(event.split(":", 1)[0], 2)
    return message_partition, f"{REPORTS}{at:012d}#{rank}#{unit}#{event}"
