"""Reading the audit log and the error logs a page at a time, newest first, filters
applied while reading (`domain/log_pages.py`): one page reads at most `PAGE_BUDGET`
lines, so a page may hold fewer than `limit` lines while `next_cursor` goes on; only a
null cursor ends the listing."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.log_pages import (
    Filter,
    decode_cursor,
    encode_cursor,
    listing,
    months_newest_first,
)
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item
from chalicelib.services.deps import Deps
from chalicelib.services.paged_reading import read_spans

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
    kept, at = read_spans(deps, spans, lambda span: partition(span.month), wanted=wanted,
                          at=decode_cursor(name, spans, cursor), limit=limit,
                          max_lines=budget[0], max_queries=budget[1], descending=True)
    return kept, encode_cursor(name, spans, at) if at is not None else None


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
