"""The maintenance-notice calls of `LgspClient` (R-OPS-4, the hub's docs/notices.md):

    client.notices()["items"]                       # the current ones, any app or person
    client.publish_notice("Bảo trì", "Nâng cấp máy chủ.", "maintenance",
                          ends_at=datetime(2026, 12, 1, 23, 30, tzinfo=PROVINCE_TIME),
                          services=["exchange"])   # operators
    client.list_notices(limit=20)                   # operators: every notice, newest first
    client.cancel_notice(notice_id)                 # operators

Times are aware `datetime`s, sent as ISO-8601 with their offset.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

JSON = dict[str, Any]


class _Calls(Protocol):
    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any: ...


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a notice's times need their offset (an aware datetime)")
    return moment.isoformat()


class NoticeCalls:
    """Mixed into `LgspClient`."""

    def notices(self: _Calls) -> JSON:
        """`{items, server_time}`: the notices active now, then those starting within 7
        days."""
        return dict(self.call("GET", "/v1/notices"))

    def publish_notice(self: _Calls, title: str, body: str, severity: str, *,
                       ends_at: datetime, starts_at: datetime | None = None,
                       services: Sequence[str] | None = None) -> JSON:
        """Operators: publish a notice (every unit online is told); answers it. Never
        retried: a retry could publish it twice."""
        request: dict[str, Any] = {"title": title, "body": body, "severity": severity,
                                   "ends_at": _iso(ends_at)}
        if starts_at is not None:
            request["starts_at"] = _iso(starts_at)
        if services:
            request["services"] = list(services)
        return dict(self.call("POST", "/v1/admin/notices", body=request, retry=False))

    def list_notices(self: _Calls, *, cursor: str | None = None,
                     limit: int | None = None) -> JSON:
        """Operators: one page of every notice, newest first: `{items, next_cursor}`."""
        query = [*((("cursor", cursor),) if cursor else ()),
                 *((("limit", str(limit)),) if limit is not None else ())]
        return dict(self.call("GET", "/v1/admin/notices", query=query))

    def cancel_notice(self: _Calls, notice_id: str) -> JSON:
        """Operators: call a notice off (idempotent on the hub, so retried)."""
        return dict(self.call("POST", f"/v1/admin/notices/"
                                      f"{urllib.parse.quote(notice_id, safe='')}/cancel"))
