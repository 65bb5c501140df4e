"""The hub's WebSocket API on the single-machine host, on the same port as the REST API.

`chalice local` serves no WebSocket, so the host does what API Gateway does on AWS:

- `GET /ws` with `Upgrade: websocket`: runs the app's `$connect` handler, and opens the
  WebSocket only if it answers 2xx (else that status and body go back as plain HTTP);
- each message: the app's `$default` handler, in order, one connection at a time;
- the end of a connection, whoever ends it: the app's `$disconnect` handler, once;
- `/ws/@connections/{id}`: the management API (`ws_management`), SigV4-signed.

The handlers are the app's own Lambda entry points (`app.handler_map`), so middleware
runs as on Lambda. Frames and the handshake are the `websockets` library's sans-I/O
protocol, run over the HTTP handler's socket (`ws_connection`).
"""

from __future__ import annotations

import base64
import http
import json
import logging
import socket
import threading
import time
from email.message import Message as HttpHeaders
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice import Chalice
from chalice.local import LambdaContext
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

from infra.local.ws_connection import PROTOCOL_LOG, Message, WsConnection
from infra.local.ws_events import ClientInfo, new_connection_id
from infra.local.ws_management import PREFIX, HttpReply, ManagementApi, json_reply
from infra.local.ws_sigv4 import ManagementAuth

log = logging.getLogger("lgsp.ws")

WS_PATH = "/ws"
GOING_AWAY = 1001
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's limit on one message
_GRACE_SECONDS = 1.0
_HANDSHAKE_HEADERS = {"content-length", "connection", "transfer-encoding", "upgrade"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None
           ) -> HttpReply:
    return json_reply(status, {"error": {"code": code, "message": message}}, headers)


class WebSocketGateway:
    """Bridges WebSocket clients to a Chalice app's `on_ws_*` handlers; one per host."""

    def __init__(self, app: Chalice, auth: ManagementAuth, *,
                 close_timeout: float = 2.0) -> None:
        self.close_timeout = close_timeout
        self._app = app
        self._region = auth.region
        self._management = ManagementApi(auth, self.connection)
        self._connections: dict[str, WsConnection] = {}
        self._lock = threading.Lock()
        self._closing = False

    @property
    def enabled(self) -> bool:
        """Whether the app has any WebSocket handler at all."""
        return bool(self._app.websocket_handlers)

    @staticmethod
    def owns(method: str, target: str) -> bool:
        """Whether a request is for the WebSocket API rather than the REST API."""
        path = unquote(urlsplit(target).path)
        return (path == WS_PATH and method == "GET") or path.startswith(PREFIX)

    @staticmethod
    def is_upgrade(method: str, target: str, headers: HttpHeaders) -> bool:
        """Whether a request opens a WebSocket (`GET /ws` with `Upgrade: websocket`): the
        host serves it on a thread of its own rather than a worker's."""
        upgrade = ",".join(headers.get_all("Upgrade") or []).lower()
        return method == "GET" and unquote(urlsplit(target).path) == WS_PATH and \
            "websocket" in upgrade

    def connection(self, connection_id: str) -> WsConnection | None:
        with self._lock:
            return self._connections.get(connection_id)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> HttpReply | None:
        """Serve a request that `owns()` claimed. Returns the reply to write, or None when
        the request became a WebSocket (which has ended by the time this returns)."""
        if not self.enabled:
            return _error(404, "route_not_found", "This hub serves no WebSocket API")
        if unquote(urlsplit(handler.path).path) != WS_PATH:
            return self._management.handle(handler.command, handler.path, handler.headers,
                                           body)
        if not self.is_upgrade(handler.command, handler.path, handler.headers):
            return _error(426, "upgrade_required",
                          "GET /ws opens a WebSocket: use a WebSocket client",
                          {"Upgrade": "websocket"})
        handler.close_connection = True  # the socket is the WebSocket's from now on
        return self._serve_websocket(handler)

    def close_all(self, code: int = GOING_AWAY, reason: str = "Going away") -> None:
        """Close every WebSocket (the host is stopping) and wait, boundedly, until each
        one's `$disconnect` has run. New upgrades are refused from now on."""
        with self._lock:
            self._closing = True
            connections = list(self._connections.values())
        for connection in connections:
            connection.close(code, reason)
        deadline = time.monotonic() + self.close_timeout + _GRACE_SECONDS
        for connection in connections:
            if not connection.finished.wait(max(0.0, deadline - time.monotonic())):
                connection.abort()
        for connection in connections:
            connection.finished.wait(_GRACE_SECONDS)

    # The opening handshake, then the connection's whole life, in the handler's thread.

    def _serve_websocket(self, handler: BaseHTTPRequestHandler) -> HttpReply | None:
        sock: socket.socket = handler.connection
        protocol = ServerProtocol(max_size=MAX_MESSAGE_BYTES, logger=PROTOCOL_LOG)
        # The HTTP server has parsed the request already; the protocol parses it again
        # from bytes, as its sans-I/O design expects, and then reads frames after it.
        try:
            raw = Request(handler.path, Headers(list(handler.headers.items()))).serialize()
        except (InvalidHeader, UnicodeEncodeError):
            return _error(400, "invalid_handshake", "Invalid WebSocket handshake request")
        protocol.receive_data(raw)
        parsed = [event for event in protocol.events_received() if isinstance(event, Request)]
        if not parsed:  # the library refused it and queued its own answer
            _send_plain(protocol, sock, None)
            return None
        request = parsed[0]
        response = protocol.accept(request)
        if response.status_code != 101 or self._closing:
            if response.status_code == 101:
                response = _refusal(503, {}, b"")
            _send_plain(protocol, sock, response)
            return None
        local = sock.getsockname()
        info = ClientInfo.from_request(new_connection_id(), handler.path,
                                       handler.headers.items(),
                                       source_ip=handler.client_address[0],
                                       default_host=f"{local[0]}:{local[1]}")
        status, headers, body = self._connect(info)
        if not 200 <= status < 300:
            _send_plain(protocol, sock, _refusal(status, headers, body))
            return None
        chosen = headers.get("Sec-WebSocket-Protocol", "").strip()
        offered = ",".join(request.headers.get_all("Sec-WebSocket-Protocol")).split(",")
        if chosen and chosen in (name.strip() for name in offered):
            response.headers["Sec-WebSocket-Protocol"] = chosen
        connection = WsConnection(info, protocol, sock, handler.rfile.read1, self.close_timeout)
        with self._lock:
            refused = self._closing
            if not refused:
                self._connections[info.connection_id] = connection
        if refused:  # the host began stopping while $connect ran
            _send_plain(protocol, sock, _refusal(503, {}, b""))
            self._disconnect(connection, GOING_AWAY, "Going away")
        else:
            self._run(connection, response)
        return None

    def _run(self, connection: WsConnection, response: Response) -> None:
        """Open the registered connection, read it to its end, then `$disconnect`."""
        cid = connection.connection_id
        code, reason = 1006, ""
        try:
            connection.accept(response)
            log.info("websocket %s open", cid)
            code, reason = connection.run(lambda message: self._message(connection, message))
        finally:
            with self._lock:
                self._connections.pop(cid, None)
            log.info("websocket %s closed (%d)", cid, code)
            self._disconnect(connection, code, reason)

    def _connect(self, info: ClientInfo) -> tuple[int, dict[str, str], bytes]:
        """The `$connect` handler's verdict: status, headers and body."""
        try:
            result = self._invoke("$connect", info.connect_event())
            if result is None:
                return 200, {}, b""
            status = int(result.get("statusCode", 200))
            headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
            body = result.get("body") or b""
            if isinstance(body, str):
                body = base64.b64decode(body) if result.get("isBase64Encoded") \
                    else body.encode()
            return status, headers, bytes(body)
        except Exception:
            log.exception("$connect handler failed for websocket %s", info.connection_id)
            return 500, {}, json.dumps({"message": "Internal server error"}).encode()

    def _message(self, connection: WsConnection, message: Message) -> None:
        event = connection.info.message_event(message)
        try:
            self._invoke("$default", event)
        except Exception:
            cid = connection.connection_id
            log.exception("$default handler failed for websocket %s", cid)
            error = {"message": "Internal server error", "connectionId": cid,
                     "requestId": event["requestContext"]["requestId"]}
            connection.send(json.dumps(error).encode())

    def _disconnect(self, connection: WsConnection, code: int, reason: str) -> None:
        try:
            self._invoke("$disconnect", connection.info.disconnect_event(code, reason))
        except Exception:
            log.exception("$disconnect handler failed for websocket %s",
                          connection.connection_id)
        finally:
            connection.finished.set()

    def _invoke(self, route_key: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """Call the app's handler for `route_key` as Lambda would; None if it has none."""
        config = self._app.websocket_handlers.get(route_key)
        if config is None:
            return None
        self._ensure_region()
        context = LambdaContext(function_name=config.name, memory_size=128,
                                max_runtime_ms=900_000)
        result = self._app.handler_map[config.name](event, context)
        return result if isinstance(result, dict) else None

    def _ensure_region(self) -> None:
        """Chalice's handler wrapper resolves the API's region from AWS_REGION or
        `app.websocket_api.session` (always set on Lambda): give it the hub's region."""
        api = self._app.websocket_api
        if api.session is None:
            with self._lock:
                if api.session is None:
                    import boto3

                    api.session = boto3.session.Session(region_name=self._region)


def _refusal(status: int, headers: dict[str, str], body: bytes) -> Response:
    """A plain HTTP answer instead of the upgrade, as API Gateway gives when `$connect`
    says no: the handler's status, headers and (JSON) body."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    if not body:
        body = json.dumps({"message": phrase or "Refused"}).encode()
    out = Headers()
    for name, value in headers.items():
        if name.lower() not in _HANDSHAKE_HEADERS:
            out[name] = value
    if "Content-Type" not in out:
        out["Content-Type"] = "application/json"
    out["Content-Length"] = str(len(body))
    out["Connection"] = "close"
    return Response(status, phrase, out, body)


def _send_plain(protocol: ServerProtocol, sock: socket.socket, response: Response | None
                ) -> None:
    """Write a non-upgrade answer to the handshake (or the one already queued) and
    half-close."""
    if response is not None:
        protocol.send_response(response)
    try:
        for chunk in protocol.data_to_send():
            if chunk:
                sock.sendall(chunk)
            else:
                sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the client left already
