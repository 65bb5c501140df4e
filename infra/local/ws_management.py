"""The API Gateway management API (`@connections`) of the local host.

Served on the hub's own port under the WebSocket endpoint (`http://127.0.0.1:8000/ws`),
so the app reaches it with the same boto3 `apigatewaymanagementapi` client it uses on
AWS, only with `endpoint_url` set. Errors carry `x-amzn-ErrorType` so botocore raises the
modelled exceptions (`GoneException`, `ForbiddenException`, ...).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Protocol
from urllib.parse import unquote, urlsplit

from infra.local.ws_events import ClientInfo, iso_ms
from infra.local.ws_sigv4 import ManagementAuth

log = logging.getLogger("lgsp.ws")

PREFIX = "/ws/@connections/"
MAX_POST_BYTES = 128 * 1024  # API Gateway's limit on one message
NORMAL_CLOSURE = 1000


@dataclass(frozen=True)
class HttpReply:
    """A plain HTTP answer for the host to write."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None
               ) -> HttpReply:
    return HttpReply(status, {"Content-Type": "application/json", **(headers or {})},
                     json.dumps(payload).encode())


def aws_error(status: int, error_type: str, message: str) -> HttpReply:
    """An error shaped as API Gateway sends it: botocore reads the type from the header."""
    return json_reply(status, {"message": message},
                      {"x-amzn-ErrorType": error_type, "x-amzn-RequestId": str(uuid.uuid4())})


class ManagedConnection(Protocol):
    """What the management API needs of a connection."""

    @property
    def info(self) -> ClientInfo: ...

    @property
    def last_active_ms(self) -> int: ...

    @property
    def is_open(self) -> bool: ...

    def send(self, data: bytes) -> bool: ...

    def close(self, code: int, reason: str = "") -> None: ...


def connection_id_of(target: str) -> str | None:
    """The id in `/ws/@connections/{id}` (each segment URL-decoded, so `%40connections`
    works too), None for any other path."""
    segments = [unquote(part) for part in urlsplit(target).path.split("/")]
    if len(segments) != 4 or segments[:3] != ["", "ws", "@connections"] or not segments[3]:
        return None
    return segments[3]


class ManagementApi:
    """POST (send), GET (describe), DELETE (close) one connection of this host only: a
    connection held by another host process is Gone here, as the app must post to the
    endpoint it stored for that connection."""

    def __init__(self, auth: ManagementAuth,
                 lookup: Callable[[str], ManagedConnection | None]) -> None:
        self._auth = auth
        self._lookup = lookup

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> HttpReply:
        connection_id = connection_id_of(target)
        if connection_id is None:
            return aws_error(404, "NotFoundException", "Not Found")
        if method not in ("POST", "GET", "DELETE"):
            return aws_error(405, "MethodNotAllowedException", "Method Not Allowed")
        refused = self._auth.verify(method, target, headers, body)
        if refused is not None:
            log.warning("management %s refused: %s", method, refused)
            return aws_error(403, "ForbiddenException", refused)
        connection = self._lookup(connection_id)
        if connection is None or not connection.is_open:
            return _gone()
        if method == "POST":
            return self._post(connection, body)
        if method == "GET":
            return json_reply(200, {"connectedAt": iso_ms(connection.info.connected_at),
                                    "lastActiveAt": iso_ms(connection.last_active_ms),
                                    "identity": connection.info.identity})
        connection.close(NORMAL_CLOSURE)
        return HttpReply(204)

    @staticmethod
    def _post(connection: ManagedConnection, body: bytes) -> HttpReply:
        if len(body) > MAX_POST_BYTES:
            return aws_error(413, "PayloadTooLargeException", "Message too long")
        if not connection.send(body):
            return _gone()
        return HttpReply(200)


def _gone() -> HttpReply:
    return aws_error(410, "GoneException", "The connection is gone")
