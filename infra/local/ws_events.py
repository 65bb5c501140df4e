"""API Gateway WebSocket events, shaped as AWS shapes them, so the handlers in `app.py`
see on the single-machine host exactly what they see on Lambda.

Pure functions and one frozen record: no sockets, no clocks other than the ones passed in.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_ID = "local"
STAGE = "ws"


def new_connection_id() -> str:
    """Random and URL-safe like API Gateway's ids: knowing one id tells nothing of another."""
    return secrets.token_urlsafe(12)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, as the management API returns its times."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def header_maps(items: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """`headers` (first value of each name) and `multiValueHeaders` (all values), names
    spelled as first received; the same name in another case joins that first spelling."""
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in items:
        key = spelling.setdefault(name.lower(), name)
        multi.setdefault(key, []).append(value)
    return {name: values[0] for name, values in multi.items()}, multi


def query_maps(target: str) -> dict[str, Any]:
    """`queryStringParameters` (the last value wins, as on AWS) and
    `multiValueQueryStringParameters`; both left out when there is no query."""
    pairs = parse_qsl(urlsplit(target).query, keep_blank_values=True)
    if not pairs:
        return {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {"queryStringParameters": {name: values[-1] for name, values in multi.items()},
            "multiValueQueryStringParameters": multi}


@dataclass(frozen=True)
class ClientInfo:
    """What API Gateway remembers of a connection from its opening request."""

    connection_id: str
    domain_name: str
    source_ip: str
    user_agent: str
    connected_at: int
    headers: dict[str, str] = field(default_factory=dict)
    multi_headers: dict[str, list[str]] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_request(cls, connection_id: str, target: str,
                     header_items: Iterable[tuple[str, str]], *, source_ip: str,
                     default_host: str, connected_at: int | None = None) -> ClientInfo:
        headers, multi = header_maps(header_items)
        lower = {name.lower(): value for name, value in headers.items()}
        return cls(connection_id=connection_id, domain_name=lower.get("host") or default_host,
                   source_ip=source_ip, user_agent=lower.get("user-agent", ""),
                   connected_at=now_ms() if connected_at is None else connected_at,
                   headers=headers, multi_headers=multi, query=query_maps(target))

    @property
    def identity(self) -> dict[str, str]:
        return {"sourceIp": self.source_ip, "userAgent": self.user_agent}

    def request_context(self, route_key: str, event_type: str, at_ms: int,
                        **extra: Any) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        return {"routeKey": route_key, "eventType": event_type,
                "connectionId": self.connection_id, "domainName": self.domain_name,
                "stage": STAGE, "apiId": API_ID, "connectedAt": self.connected_at,
                "requestTimeEpoch": at_ms, "requestTime": _request_time(at_ms),
                "requestId": request_id, "extendedRequestId": request_id,
                "messageDirection": "IN", "identity": self.identity, **extra}

    def connect_event(self) -> dict[str, Any]:
        context = self.request_context("$connect", "CONNECT", self.connected_at)
        return {"requestContext": context, "headers": dict(self.headers),
                "multiValueHeaders": {k: list(v) for k, v in self.multi_headers.items()},
                **self.query, "isBase64Encoded": False}

    def message_event(self, message: str | bytes, at_ms: int | None = None) -> dict[str, Any]:
        """A text message travels as is; a binary one base64-encoded, flagged as such."""
        at = now_ms() if at_ms is None else at_ms
        context = self.request_context("$default", "MESSAGE", at,
                                       messageId=secrets.token_urlsafe(9))
        if isinstance(message, str):
            return {"requestContext": context, "body": message, "isBase64Encoded": False}
        return {"requestContext": context, "body": base64.b64encode(message).decode(),
                "isBase64Encoded": True}

    def disconnect_event(self, code: int, reason: str, at_ms: int | None = None
                         ) -> dict[str, Any]:
        at = now_ms() if at_ms is None else at_ms
        context = self.request_context("$disconnect", "DISCONNECT", at,
                                       disconnectStatusCode=code, disconnectReason=reason)
        return {"requestContext": context, "headers": dict(self.headers),
                "multiValueHeaders": {k: list(v) for k, v in self.multi_headers.items()},
                "isBase64Encoded": False}
