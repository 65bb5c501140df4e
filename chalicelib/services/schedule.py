"""Work for the sweeper, written in the same transaction as the change that schedules it
(see chalicelib/domain/deadlines.py)."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.deadlines import day_of
from chalicelib.domain.ports import Put


def due_put(kind: str, due_at: int, message_id: str, tag: str = "") -> Put:
    pk, sk = keys.due(day_of(due_at), due_at, kind, message_id, tag)
    return Put({"pk": pk, "sk": sk, "kind": "due", "work": kind, "due_at": due_at,
                "message_id": message_id})


def due_key(kind: str, due_at: int, message_id: str) -> tuple[str, str]:
    return keys.due(day_of(due_at), due_at, kind, message_id)
