"""Reading a listing a page at a time across several partitions (the exchange history,
the audit log, the error logs). Pure: where reading goes on, and its cursor.

A listing is read span by span (a span: one partition's share of the period); the cursor
says which span, the table's own cursor inside it and how many lines of that table page
were already read. It names its listing (`listing_name`: who, period, filters), so it
serves that listing only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import InvalidRequestError

MAX_SKIP = 10_000  # larger than any table page a listing is read with


class Span(Protocol):
    @property
    def id(self) -> str:
        """What names the span in a cursor."""
        ...

    @property
    def sort_range(self) -> tuple[str, str]:
        """The `sk` range of its lines."""
        ...


@dataclass(frozen=True)
class Position:
    """Where reading goes on: span `index`, the table's cursor in it (None: from the
    span's start), and how many lines of the table page it gives were already read."""

    index: int = 0
    table_cursor: str | None = None
    skip: int = 0


def listing_name(*parts: Any) -> str:
    """A short name of what is listed, from its parts (who, period, filters)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def encode_cursor(tag: str, name: str, spans: Sequence[Span], at: Position) -> str:
    raw = json.dumps([tag, name, spans[at.index].id, at.table_cursor, at.skip],
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(tag: str, name: str, spans: Sequence[Span], cursor: str | None, *,
                  refusal: str) -> Position:
    """The position a cursor of this listing points at; 400 `invalid_cursor` (saying
    `refusal`) for any other cursor: another listing's, or not a cursor at all."""
    if cursor is None:
        return Position()
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        value = None
    if isinstance(value, list) and len(value) == 5 and value[:2] == [tag, name]:
        _, _, span_id, table_cursor, skip = value
        index = next((n for n, s in enumerate(spans) if s.id == span_id), None)
        if (index is not None and isinstance(table_cursor, str | None)
                and isinstance(skip, int) and not isinstance(skip, bool)
                and 0 <= skip <= MAX_SKIP):
            return Position(index, table_cursor, skip)
    raise InvalidRequestError(refusal, code="invalid_cursor")
