"""Reading the audit log and the error logs a page at a time, newest first, filters
applied while reading (`domain/log_pages.py`): one page reads at most `PAGE_BUDGET`
lines, so a page may hold fewer than `limit` lines while `next_cursor` goes on; only a
null cursor ends the listing."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.log_pages import (
    Filter,
    Position,
    decode_cursor,
    encode_cursor,
    listing,
    months_newest_first,
)
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item
from chalicelib.services.deps import Deps

TABLE_PAGE = 200
PAGE_BUDGET_LINES, PAGE_BUDGET_QUERIES = 2_000, 40
EXPORT_MAX_ROWS = 50_000


def read(deps: Deps, partition: Callable[[str], str], *, tag: str, scope: str,
         period: Period, wanted: Filter, limit: int, cursor: str | None,
         budget: tuple[int, int] = (PAGE_BUDGET_LINES, PAGE_BUDGET_QUERIES)
         ) -> tuple[list[Item], str | None]:
    """Up to `limit` lines the filter keeps, newest first, from the cursor on; and the
    cursor of what follows (None once the period is read). `partition(month)` names the
    month's partition."""
    spans, name = months_newest_first(period), listing(tag, scope, period, wanted)
    at = decode_cursor(name, spans, cursor)
    kept: list[Item] = []
    lines = queries = 0
    max_lines, max_queries = budget
    while at.index < len(spans):
        if len(kept) >= limit or lines >= max_lines or queries >= max_queries:
            return kept, encode_cursor(name, spans, at)
        span = spans[at.index]
        low, high = span.sort_range
        page = deps.table.query(partition(span.month), start=low, end=high, limit=TABLE_PAGE,
                                cursor=at.table_cursor, descending=True)
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


def read_all(deps: Deps, partition: Callable[[str], str], *, tag: str, scope: str,
             period: Period, wanted: Filter) -> list[Item]:
    """Every line of the period the filter keeps, for an export: at most
    `EXPORT_MAX_ROWS`, else 400 `export_too_large` (a shorter period, or the pages)."""
    lines, _ = read(deps, partition, tag=tag, scope=scope, period=period, wanted=wanted,
                    limit=EXPORT_MAX_ROWS + 1, cursor=None, budget=(10**9, 10**9))
    if len(lines) > EXPORT_MAX_ROWS:
        raise InvalidRequestError(
            f"This log has more than {EXPORT_MAX_ROWS:,} lines, more than one export holds: "
            "export a shorter period, or read it page by page as JSON.",
            code="export_too_large", limit=EXPORT_MAX_ROWS)
    return lines
