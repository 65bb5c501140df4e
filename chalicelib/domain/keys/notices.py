"""Table keys of maintenance notices (docs/notices.md, docs/data-model.md N1-N4), part of
`chalicelib.domain.keys`: import them from there (`keys.notice(...)`), like every other
key.

Two partitions, each one query:
- `NOTICES`: every notice, `sk` = its id (ids are time-ordered), so the history is one
  descending query;
- `NOTICES#CURRENT`: a copy of each notice not cancelled, `sk` = its end (zero-padded
  epoch seconds) then its id, so the notices not yet ended are one range query from now;
  the copy carries a TTL a day after its end.
"""

from __future__ import annotations

NOTICES = "NOTICES"
CURRENT_NOTICES = "NOTICES#CURRENT"


def notice(notice_id: str) -> tuple[str, str]:
    return NOTICES, notice_id


def current_notice(ends_at: int, notice_id: str) -> tuple[str, str]:
    return CURRENT_NOTICES, f"{notice_end(ends_at)}#{notice_id}"


def notice_end(epoch: int) -> str:
    """An end as the current view sorts it (10 digits hold every time until 2286)."""
    return f"{epoch:010d}"
