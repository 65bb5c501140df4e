"""One accepted WebSocket on the local host: the `websockets` sans-I/O protocol over the
HTTP handler's own socket.

The reader runs in the handler's thread; the management API writes from other threads.
Every use of the protocol object and every write to the socket happens under one lock,
so frames never interleave. Nothing here blocks forever: `abort()` shuts the socket down
without the lock, which wakes the reader (and any blocked writer) at once, and a closing
handshake the peer does not finish is aborted after `close_timeout` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable

from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from infra.local.ws_events import ClientInfo, now_ms

READ_CHUNK = 65536
INVALID_DATA = 1007
ABNORMAL_CLOSURE = 1006

# The library logs frames and headers at DEBUG: keep it quiet whatever the root level is,
# so no message content or header value (signatures) ever reaches the log.
PROTOCOL_LOG = logging.getLogger("lgsp.ws.protocol")
PROTOCOL_LOG.setLevel(logging.WARNING)

Message = str | bytes


class WsConnection:
    """An open connection: send, close and abort from any thread; `run()` in the reader's."""

    def __init__(self, info: ClientInfo, protocol: ServerProtocol, sock: socket.socket,
                 read: Callable[[int], bytes], close_timeout: float) -> None:
        self.info = info
        self.last_active_ms = info.connected_at
        self.finished = threading.Event()  # set once $disconnect has run
        self._protocol = protocol
        self._sock = sock
        self._read = read
        self._close_timeout = close_timeout
        self._lock = threading.Lock()
        self._deadline: threading.Timer | None = None
        self._done = False

    @property
    def connection_id(self) -> str:
        return self.info.connection_id

    @property
    def is_open(self) -> bool:
        return self._protocol.state is State.OPEN

    def touch(self) -> None:
        self.last_active_ms = now_ms()

    def accept(self, response: Response) -> None:
        """Send the 101 answer: from now on the connection is open to messages."""
        with self._lock:
            self._protocol.send_response(response)
            self._flush()

    def send(self, data: bytes) -> bool:
        """Send one message: a text frame when `data` is UTF-8, else a binary frame.
        False when the connection is no longer open (the caller answers Gone)."""
        try:
            data.decode("utf-8")
            text = True
        except UnicodeDecodeError:
            text = False
        with self._lock:
            if self._protocol.state is not State.OPEN:
                return False
            if text:
                self._protocol.send_text(data)
            else:
                self._protocol.send_binary(data)
            sent = self._flush()
        self.touch()
        return sent

    def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake; the reader finishes it (or the deadline aborts)."""
        if not self._lock.acquire(timeout=self._close_timeout):
            self.abort()  # a writer is stuck on a peer that does not read
            return
        try:
            if self._protocol.state is State.OPEN:
                self._protocol.send_close(code, reason)
                self._flush()
            self._arm_deadline()
        finally:
            self._lock.release()

    def abort(self) -> None:
        """Drop the TCP connection: the reader sees end of stream immediately."""
        with contextlib.suppress(OSError):  # already shut down or closed
            self._sock.shutdown(socket.SHUT_RDWR)

    def run(self, on_message: Callable[[Message], None]) -> tuple[int, str]:
        """Read until the connection ends, handing each complete message to `on_message`
        in the order received. Returns the close code and reason for `$disconnect`."""
        assembler = _Assembler()
        try:
            while True:
                try:
                    data = self._read(READ_CHUNK)
                except OSError:
                    data = b""
                events = self._receive(data)
                for event in events:
                    if isinstance(event, Frame):
                        self._deliver(assembler, event, on_message)
                if not data:
                    break
        finally:
            with self._lock:
                self._done = True
                if self._deadline is not None:
                    self._deadline.cancel()
        code = self._protocol.close_code
        return (ABNORMAL_CLOSURE, "") if code is None else (code,
                                                           self._protocol.close_reason or "")

    def _receive(self, data: bytes) -> list[object]:
        with self._lock:
            if data:
                self._protocol.receive_data(data)
            else:
                self._protocol.receive_eof()
            events: list[object] = list(self._protocol.events_received())
            self._flush()
            if self._protocol.close_expected():
                self._arm_deadline()
        return events

    def _deliver(self, assembler: _Assembler, frame: Frame,
                 on_message: Callable[[Message], None]) -> None:
        payload = assembler.add(frame)
        if payload is None:
            return
        self.touch()
        if assembler.text:
            try:
                message: Message = payload.decode("utf-8")
            except UnicodeDecodeError:
                with self._lock:
                    self._protocol.fail(INVALID_DATA, "invalid UTF-8")
                    self._flush()
                    self._arm_deadline()
                return
        else:
            message = payload
        on_message(message)

    def _flush(self) -> bool:
        """Write what the protocol has queued (the lock is held). An empty chunk means
        half-close; a write error drops the connection."""
        for chunk in self._protocol.data_to_send():
            try:
                if chunk:
                    self._sock.sendall(chunk)
                else:
                    self._sock.shutdown(socket.SHUT_WR)
            except OSError:
                self.abort()
                return False
        return True

    def _arm_deadline(self) -> None:
        """Abort if the peer has not ended the connection in time (the lock is held)."""
        if self._deadline is not None or self._done:
            return
        timer = threading.Timer(self._close_timeout, self.abort)
        timer.daemon = True
        self._deadline = timer
        timer.start()


class _Assembler:
    """Joins a fragmented message (a first frame then continuation frames)."""

    def __init__(self) -> None:
        self.text = False
        self._parts: list[bytes] = []

    def add(self, frame: Frame) -> bytes | None:
        """The whole message once its last frame arrives; None before, or for control
        frames (pings are answered by the protocol itself)."""
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.text = frame.opcode is Opcode.TEXT
            self._parts = [bytes(frame.data)]
        elif frame.opcode is Opcode.CONT:
            self._parts.append(bytes(frame.data))
        else:
            return None
        if not frame.fin:
            return None
        payload, self._parts = b"".join(self._parts), []
        return payload
