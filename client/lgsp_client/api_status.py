"""The status-reply calls of `LgspClient` (edXML status codes; the hub's docs/edxml.md,
"Status replies"):

    client.status_reply(message_id, "03", comment="Đã tiếp nhận")   # a destination
    client.status_reply(message_id, "13", comment="Sai số hiệu")     # the source: recall
    client.status_replies(message_id, every_page=True)["items"]
    xml = client.status_reply_edxml(message_id, reply_id)           # the status package
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import requests

JSON = dict[str, Any]
XML = "application/xml"


class _Calls(Protocol):
    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any: ...

    def download(self, path: str, accept: str, *,
                 query: Iterable[tuple[str, str]] = ()) -> requests.Response: ...


def _replies(message_id: str) -> str:
    return f"/v1/messages/{urllib.parse.quote(message_id, safe='')}/status-replies"


class StatusReplyCalls:
    """Mixed into `LgspClient`."""

    def status_reply(self: _Calls, message_id: str, code: str,
                     comment: str | None = None) -> JSON:
        """Answer a message with a status code: the reply `{id, unit, role, code, meaning,
        comment, at, …}`. Retried: the same code and comment again within 10 minutes is
        the same reply on the hub."""
        body = {"code": code, **({"comment": comment} if comment else {})}
        return dict(self.call("POST", _replies(message_id), body=body))

    def status_replies(self: _Calls, message_id: str, *, cursor: str | None = None,
                       limit: int | None = None, every_page: bool = False) -> JSON:
        """`{items, next_cursor}`, oldest first (the source: every reply, paged; a
        destination: its own and the source's); `every_page=True` follows the cursor."""
        query = [*((("cursor", cursor),) if cursor else ()),
                 *((("limit", str(limit)),) if limit is not None else ())]
        page = dict(self.call("GET", _replies(message_id), query=query))
        while every_page and page.get("next_cursor"):
            more = self.call("GET", _replies(message_id),
                             query=[("cursor", page["next_cursor"]), ("limit", "200")])
            page = {"items": [*page["items"], *more["items"]],
                    "next_cursor": more.get("next_cursor")}
        return page

    def status_reply_edxml(self: _Calls, message_id: str, reply_id: str) -> bytes:
        """One reply as an edXML status package (QCVN 102), the bytes as the hub sent them."""
        path = f"{_replies(message_id)}/{urllib.parse.quote(reply_id, safe='')}/edxml"
        return self.download(path, XML).content
