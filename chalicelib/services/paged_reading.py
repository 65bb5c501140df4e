"""Reading a listing's spans a page at a time, filters applied while reading
(`domain/paging.py`): the exchange history, the audit log and the error logs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from chalicelib.domain.paging import Position, Span
from chalicelib.domain.ports import Item
from chalicelib.services.deps import Deps

TABLE_PAGE = 200  # lines per table query
S = TypeVar("S", bound=Span)


class Wanted(Protocol):
    def matches(self, line: Any) -> bool: ...


def read_spans(deps: Deps, spans: Sequence[S], partition: Callable[[S], str], *,
               wanted: Wanted, at: Position, limit: int, max_lines: int, max_queries: int,
               descending: bool) -> tuple[list[Item], Position | None]:
    """Up to `limit` lines the filter keeps, from `at` on, reading at most `max_lines`
    lines in `max_queries` queries; and where to go on (None once every span is read)."""
    kept: list[Item] = []
    lines = queries = 0
    while at.index < len(spans):
        if len(kept) >= limit or lines >= max_lines or queries >= max_queries:
            return kept, at
        span = spans[at.index]
        low, high = span.sort_range
        page = deps.table.query(partition(span), start=low, end=high, limit=TABLE_PAGE,
                                cursor=at.table_cursor, descending=descending)
        queries += 1
        position = at.skip
        while position < len(page.items) and len(kept) < limit:
            if wanted.matches(page.items[position]):
                kept.append(page.items[position])
            position += 1
        lines += max(0, position - at.skip)
        if position < len(page.items):
            at = Position(at.index, at.table_cursor, position)
        elif page.cursor is not None:
            at = Position(at.index, page.cursor)
        else:
            at = Position(at.index + 1)
    return kept, None
