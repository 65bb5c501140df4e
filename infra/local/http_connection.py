"""One client connection of the local host, and the rules every request on it meets before
the app sees it.

- The request line and headers must arrive within `header_timeout` of the first byte (one
  deadline for the whole head, so a client trickling a byte at a time cannot hold a
  worker), a body within `body_timeout`; a late client gets 408 `request_timeout`.
- A body is read only when its `Content-Length` is one whole number within
  `max_body_bytes`: otherwise 413 `content_too_large`, 400 `invalid_content_length`, or
  411 `length_required` (chunked bodies), answered before reading anything of it.
  `Expect: 100-continue` gets its 100 only after those checks.
- Every protocol error of the request line and headers is answered in the project's
  shape (`{"error": {"code", "message"}}`, JSON) with a 4xx, never the HTML of
  `http.server`; a connection closed after an error is drained a moment first (lingering
  close) so the client reads the answer rather than a reset.

The connection is served one request at a time by whichever worker takes it
(`http_server`); between requests it waits in the keeper, not in a thread.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import select
import socket
import socketserver
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

log = logging.getLogger("lgsp.http")

MiB = 1024 * 1024
MAX_LINE = 65536  # a request line or one header line; http.client caps headers at 100
READ_BUFFER = 65536
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 method token
_DIGITS = re.compile(r"[0-9]+")
JSON = "application/json"


@dataclass(frozen=True)
class HttpLimits:
    """How much the HTTP edge takes from clients (host settings `LGSP_HTTP_*` and
    `LGSP_WS_MAX_CONNECTIONS`, see docs/deploy.md)."""

    max_body_bytes: int = 10 * MiB  # API Gateway's payload limit
    workers: int = 32  # threads serving HTTP requests
    queue: int = 256  # connections with a request waiting for a worker; then 503 busy
    header_timeout: float = 10.0  # request line + headers, from the first byte
    body_timeout: float = 60.0  # a request body in, or an answer out
    idle_timeout: float = 60.0  # a kept-alive connection between requests
    max_idle: int = 1000  # idle connections kept; the oldest is closed beyond it
    max_websockets: int = 2000  # open WebSockets, each on a thread of its own
    linger_timeout: float = 5.0  # draining a closed connection's unread request
    shutdown_grace: float = 10.0  # requests in progress may finish when the host stops
    follow_up: float = 0.02  # a worker waits this long for a kept-alive client's next call


class Outcome(Enum):
    """What becomes of a connection after one request."""

    KEEP = "keep"  # answered; it may carry another request
    CLOSE = "close"  # nothing more to say: close it
    LINGER = "linger"  # answered and closing: drain what the client still sends first
    DETACHED = "detached"  # a WebSocket's own thread holds it now


class _SocketReader(io.RawIOBase):
    """The socket as a raw stream whose every read waits at most until `deadline` (one
    bound for a whole request head or body, not per read). `probing` makes a read report
    "nothing yet" instead of waiting, to look at what is already buffered."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: float | None = None
        self.probing = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self.probing:
            return None
        if self.deadline is None:
            self._sock.settimeout(None)
        else:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class _SocketWriter(io.BufferedIOBase):
    """Writes go straight to the socket, whole (`sendall`)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._sock.sendall(data)
        with memoryview(data) as view:
            return view.nbytes


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}},
                      ensure_ascii=False).encode()


BUSY_ANSWER = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s")
_busy = error_body("busy", "The hub is serving as many requests as it can; retry in a second.")
BUSY_ANSWER = BUSY_ANSWER % (len(_busy), _busy)

# http.server's own errors, as (status, code, message): a 505 for an HTTP/2 request line
# is the client's mistake on an HTTP/1.1 port, so it is a 400 here.
_PROTOCOL_ERRORS: dict[int, tuple[int, str, str]] = {
    400: (400, "invalid_request_line", "The request line must be `METHOD /path HTTP/1.1`."),
    414: (414, "uri_too_long", f"The request line is longer than {MAX_LINE} bytes."),
    431: (431, "headers_too_large", f"A header line is longer than {MAX_LINE} bytes, or "
                                    "there are more than 100 headers."),
    505: (400, "http_version_not_supported", "This hub speaks HTTP/1.1 (and HTTP/1.0)."),
}


class HttpConnection(BaseHTTPRequestHandler):
    """A client connection: `serve_one()` reads and answers one request. Subclasses
    implement `serve_request()` with `declared_length()`, `read_body()`, `write()`,
    `reply_error()` and `detach()`."""

    protocol_version = "HTTP/1.1"
    server_version = "lgsp"
    # Headers and body leave in two writes; with Nagle's algorithm the body waited for the
    # client's delayed ACK of the headers (~40 ms per POST on Linux), see docs/performance.md.
    disable_nagle_algorithm = True
    limits = HttpLimits()

    def __init__(self, request: socket.socket, client_address: Any,
                 server: socketserver.BaseServer) -> None:
        # Unlike BaseRequestHandler, serve nothing yet: a worker calls `serve_one()`.
        self.request = request
        self.client_address = client_address
        self.server = server
        self.outcome = Outcome.CLOSE
        self._answered = False
        self._expects_continue = False
        self.setup()

    def setup(self) -> None:
        self.connection = self.request
        if self.disable_nagle_algorithm:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self.reader = _SocketReader(self.connection)
        self.buffered = io.BufferedReader(self.reader, READ_BUFFER)
        self.rfile = self.buffered
        self.wfile = _SocketWriter(self.connection)

    def serve_request(self) -> None:
        raise NotImplementedError

    # One request.

    def serve_one(self) -> Outcome:
        """Read and answer one request; say what becomes of the connection."""
        self.outcome = Outcome.KEEP
        self._answered = self._expects_continue = False
        self.close_connection = True
        self.requestline, self.command, self.path = "", "", ""
        self.request_version = "HTTP/1.0"  # until the request line says otherwise
        self.handle_one_request()
        if self.outcome is not Outcome.KEEP:
            return self.outcome
        if not self.close_connection:
            return Outcome.KEEP
        return Outcome.LINGER if self._answered else Outcome.CLOSE

    def handle_one_request(self) -> None:
        self.reader.deadline = time.monotonic() + self.limits.header_timeout
        try:
            if self._read_head():
                self.serve_request()
        except TimeoutError:
            self.close_connection = True
            if not self._answered:
                self.reply_error(408, "request_timeout", "The request did not arrive in time.")
        except OSError:  # reset, broken pipe: the client is gone
            self.close_connection = True
            self.outcome = Outcome.CLOSE
        except Exception:
            log.exception("request failed: %s %s", self.command, self.path)
            self.close_connection = True
            if not self._answered:
                self.reply_error(500, "internal_error", "The hub could not answer this "
                                                      "request; retry, or report it.")

    def _read_head(self) -> bool:
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if len(self.raw_requestline) > MAX_LINE:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if not self.raw_requestline:
            self.outcome = Outcome.CLOSE
            return False
        if not self.parse_request():
            return False
        if self.request_version == "HTTP/0.9" or not _TOKEN.fullmatch(self.command or ""):
            self.send_error(HTTPStatus.BAD_REQUEST)
            return False
        return True

    def handle_expect_100(self) -> bool:
        """Defer the 100 Continue until the body has passed `declared_length()`."""
        self._expects_continue = True
        return True

    # The body.

    def declared_length(self) -> int | None:
        """The body's length, or None once the reason it will not be read is answered."""
        if self.headers.get_all("Transfer-Encoding"):
            self.reply_error(411, "length_required", "Send the body with a Content-Length "
                             "header; chunked transfer encoding is not accepted.", close=True)
            return None
        values = {value.strip() for raw in self.headers.get_all("Content-Length") or []
                  for value in raw.split(",")}
        if not values:
            return 0
        value = values.pop()
        if values or not _DIGITS.fullmatch(value):
            self.reply_error(400, "invalid_content_length", "Content-Length must be one "
                             "whole number of bytes.", close=True)
            return None
        length = int(value)
        if length > self.limits.max_body_bytes:
            self.reply_error(413, "content_too_large", "A request body may be at most "
                             f"{self.limits.max_body_bytes} bytes.", close=True)
            return None
        return length

    def read_body(self, length: int) -> bytes | None:
        """The whole body, or None if the client ended the connection before sending it."""
        if length == 0:
            return b""
        if self._expects_continue:
            self.send_response_only(HTTPStatus.CONTINUE)
            self.end_headers()
        self.reader.deadline = time.monotonic() + self.limits.body_timeout
        data = self.rfile.read(length)
        if len(data) < length:
            self.outcome = Outcome.CLOSE
            return None
        return data

    # Answers.

    def send_response_only(self, code: int, message: str | None = None) -> None:
        self.connection.settimeout(self.limits.body_timeout)  # a client must take it
        super().send_response_only(code, message)

    def write(self, status: int, headers: Mapping[str, str | list[str]], data: bytes) -> None:
        self._answered = True  # from the first byte: no other answer may follow
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                for one in ([value] if isinstance(value, str) else value):
                    self.send_header(name, one)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    def reply_error(self, status: int, code: str, message: str,
                    headers: Mapping[str, str] | None = None, *, close: bool = False) -> None:
        """Answer in the project's shape; `close` when part of the request is left unread."""
        if close:
            self.close_connection = True
        self.write(status, {"Content-Type": JSON, **(headers or {})}, error_body(code, message))

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's protocol errors, in the project's shape (and a 4xx)."""
        status, error, text = _PROTOCOL_ERRORS.get(
            int(code), (400, "invalid_request", "The request could not be read."))
        if self.request_version == "HTTP/0.9":  # unset yet: answer with a status line
            self.request_version = "HTTP/1.0"
        log.debug("%s: %s %s", self.address_string(), status, error)
        self.reply_error(status, error, text, close=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    # What the server does with the connection between requests.

    def detach(self) -> None:
        """Hand the socket to a thread that keeps it (a WebSocket): reads block again."""
        self.reader.deadline = None
        self.connection.settimeout(None)
        self.outcome = Outcome.DETACHED

    def has_buffered_input(self) -> bool:
        """Whether the next request is already read into the buffer (pipelined)."""
        self.reader.probing = True
        try:
            return bool(self.buffered.peek(1))
        except (OSError, ValueError):
            return False
        finally:
            self.reader.probing = False

    def readable_within(self, seconds: float) -> bool:
        """Whether the client sends something within `seconds`."""
        try:
            return bool(select.select([self.connection], [], [], seconds)[0])
        except (OSError, ValueError):
            return False

    def refuse_busy(self) -> None:
        """503 `busy` at once, from the keeper's thread, without blocking it."""
        self.connection.setblocking(False)
        with contextlib.suppress(OSError):
            self.connection.send(BUSY_ANSWER)

    def start_linger(self) -> None:
        """End our side (the answer is sent), then `drain()` until the client ends too."""
        self.connection.setblocking(False)
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)

    def drain(self) -> bool:
        """Discard what the client still sends; True once it has ended."""
        try:
            return not self.connection.recv(READ_BUFFER)
        except BlockingIOError:
            return False
        except OSError:
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()
