"""`lgsp watch`: a live WebSocket to the hub, kept open across drops.

The protocol, client side:
- the URL is `websocket_url` from `GET /v1/health`, else the endpoint with `http` -> `ws`,
  `https` -> `wss` and `/ws` appended; an explicit URL overrides both;
- the upgrade GET is signed like a REST call (a nonce included), over the URL with its
  scheme mapped back to http(s), because the handshake is an HTTP GET;
- once open the client sends `{"action": "sync"}`; the hub answers with one `summary`
  frame (what waits, in delivery order, and what was sent lately);
- every `heartbeat_seconds` of the summary (60 before it, never under 5) the client sends
  `{"action": "heartbeat"}`; the hub answers with a `heartbeat` frame;
- events (`message.*`, `unit.*`, any future type) and `error` frames come at any time.

A refused handshake (401, 403, any 4xx but 408/425/429) is final: retrying cannot fix a
key. Anything else (no network, 5xx, any close) is retried with exponential backoff and
jitter, reset once a connection gets its summary. Every connection syncs again, so
nothing announced while away is lost: the summary is the truth, pushes the fast path.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_never
from tenacity.wait import wait_base, wait_exponential_jitter
from websockets.exceptions import (
    ConnectionClosed,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.sync.client import ClientConnection, connect as ws_connect

from lgsp_client.api import USER_AGENT, LgspClient
from lgsp_client.autofetch import AutoFetcher
from lgsp_client.config import normalise_endpoint
from lgsp_client.errors import ConfigError, LgspApiError
from lgsp_client.render import event_line, notice_lines, summary_lines
from lgsp_client.signing import HTTP_SCHEME_OF, canonical_query

DEFAULT_HEARTBEAT = 60.0
MIN_HEARTBEAT = 5.0
MAX_BACKOFF = 60.0
POLL_SECONDS = 0.5
OPEN_TIMEOUT = 10.0
RETRYABLE_STATUSES = frozenset({408, 425, 429})
SYNC = {"action": "sync"}
HEARTBEAT = {"action": "heartbeat"}
QUIET_TYPES = frozenset({"heartbeat", "error"})

Connect = Callable[..., ClientConnection]


class Reconnect(Exception):
    """The connection could not be opened or has ended; worth another try."""


def normalise_websocket_url(url: str) -> str:
    """`WSS://Host:443/prod/` -> `wss://host/prod`, query in canonical order: the hub
    rebuilds the signed URL from the Host header, which carries no default port."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEME_OF:
        raise ConfigError(f"the WebSocket URL must start with ws:// or wss://: got {url!r}")
    http = HTTP_SCHEME_OF[scheme]
    base = normalise_endpoint(urllib.parse.urlunsplit((http, parts.netloc, parts.path, "", "")))
    query = canonical_query(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return scheme + base[len(http):] + (f"?{query}" if query else "")


def derive_websocket_url(endpoint: str) -> str:
    """The endpoint's URL with `http` -> `ws`, `https` -> `wss` and `/ws` appended, for
    a hub whose health does not advertise one."""
    parts = urllib.parse.urlsplit(normalise_endpoint(endpoint))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, f"{parts.path}/ws", "", ""))


def websocket_url(client: LgspClient, override: str | None = None) -> str:
    """`override`, else the URL the hub advertises in its health, else the derived one."""
    if override:
        return normalise_websocket_url(override)
    advertised = client.health().get("websocket_url")
    if isinstance(advertised, str) and advertised.strip():
        return normalise_websocket_url(advertised)
    return derive_websocket_url(client.endpoint)


def refusal(exc: InvalidStatus) -> LgspApiError:
    """A refused handshake as the REST calls report errors: the hub's `{"error": {"code",
    "message"}}` body when there is one, `http_<status>` otherwise."""
    response = exc.response
    status, body = response.status_code, bytes(response.body or b"")
    try:
        error = json.loads(body)["error"]
        return LgspApiError(status, str(error["code"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        text = " ".join(body.decode("utf-8", "replace").split())[:200]
        return LgspApiError(status, f"http_{status}",
                            text or response.reason_phrase or "the handshake was refused")


def is_final(status: int) -> bool:
    """A 4xx refusal says something about the request (its key, its URL) that trying
    again will not change; throttling and timeouts are the exceptions."""
    return 400 <= status < 500 and status not in RETRYABLE_STATUSES


def heartbeat_interval(value: Any) -> float:
    """The summary's `heartbeat_seconds`, never under 5 s (the default when missing)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_HEARTBEAT
    return max(MIN_HEARTBEAT, seconds) if math.isfinite(seconds) else DEFAULT_HEARTBEAT


class Heartbeat:
    """When the next heartbeat is due, on a monotonic clock that tests may replace to move
    time rather than wait for it."""

    def __init__(self, clock: Callable[[], float], seconds: float = DEFAULT_HEARTBEAT) -> None:
        self._clock = clock
        self.seconds = seconds
        self._due = clock() + seconds

    def every(self, seconds: Any) -> None:
        """Adopt the hub's interval, counted from now."""
        self.seconds = heartbeat_interval(seconds)
        self.sent()

    def sent(self) -> None:
        self._due = self._clock() + self.seconds

    def due(self) -> bool:
        return self._clock() >= self._due

    def timeout(self, poll: float) -> float:
        """How long to wait for a frame: until the heartbeat is due, at most `poll`."""
        return max(0.0, min(poll, self._due - self._clock()))


class Backoff(wait_base):
    """tenacity's exponential backoff with jitter (about 1, 2, 4 ... s, at most `maximum`),
    counted from the last good connection rather than the first attempt: a watch runs for
    weeks, and a drop after hours of service deserves a quick retry."""

    def __init__(self, maximum: float = MAX_BACKOFF) -> None:
        self._strategy = wait_exponential_jitter(max=maximum)
        self.failures = 0

    def reset(self) -> None:
        self.failures = 0

    def __call__(self, retry_state: RetryCallState) -> float:
        self.failures += 1
        counted = copy.copy(retry_state)
        counted.attempt_number = self.failures
        return float(self._strategy(counted))


def _closed(exc: ConnectionClosed) -> str:
    close = exc.rcvd or exc.sent
    reason = f": {close.reason}" if close and close.reason else ""
    return f"the connection closed (code {close.code}{reason})" if close else \
        "the connection was lost"


# -- the watch ------------------------------------------------------------------------


class Watcher:
    """One `lgsp watch`: connect, sync, show what comes, heartbeat, reconnect, until
    `stop` is set or Ctrl-C (both close with 1000 and make `run` return 0).

    `emit` gets the lines meant for stdout (frames, fetched files), `note` the status and
    error lines meant for stderr; both may be called from two threads at once when
    `auto_fetch` is set. `clock`, `sleep`, `poll` and `connect` exist for tests.
    """

    def __init__(self, client: LgspClient, *, emit: Callable[[str], None],
                 note: Callable[[str], None], as_json: bool = False,
                 ws_url: str | None = None, auto_fetch: Path | None = None,
                 once: bool = False, max_backoff: float = MAX_BACKOFF,
                 progress: bool = False, stop: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None,
                 poll: float = POLL_SECONDS, connect: Connect = ws_connect) -> None:
        if client.auth is None:
            raise LgspApiError(0, "no_credentials",
                               "the WebSocket handshake is signed: an access key is needed")
        self.client, self.auth = client, client.auth
        self.emit, self.note = emit, note
        self.as_json, self.once = as_json, once
        self.stop = stop or threading.Event()
        self.backoff = Backoff(max_backoff)
        self.connections = 0
        self._override = ws_url
        self._url: str | None = None
        self._clock, self._poll, self._connect = clock, poll, connect
        self._sleep = sleep or self.stop.wait
        self._sync_wanted = threading.Event()
        self._interrupted = False
        self.fetcher = AutoFetcher(client, auto_fetch, emit=emit, note=note, as_json=as_json,
                                   progress=progress) if auto_fetch is not None else None

    def run(self) -> int:
        """Watch until stopped; 0 when stopped or (with `once`) after the summary.

        Raises `LgspApiError` for a refused handshake, and with `once` for a connection
        that could not be made (no retries then: a script wants an answer).
        """
        if self.fetcher is not None:
            self.fetcher.start()
        try:
            if self.once:
                self._session_once()
            else:
                self._retrying()(self._session)
        except KeyboardInterrupt:
            self._interrupted = True
        finally:
            self.stop.set()
            if self._interrupted:
                self.note("interrupted: closing")
            if self.fetcher is not None:
                self.fetcher.close(finish=self.once and not self._interrupted)
        return 0

    def _retrying(self) -> Retrying:
        return Retrying(retry=retry_if_exception_type(Reconnect), wait=self.backoff,
                        stop=stop_never, sleep=self._pause, before_sleep=self._announce,
                        reraise=True)

    def _pause(self, seconds: float) -> None:
        self._sleep(seconds)

    def _announce(self, retry_state: RetryCallState) -> None:
        outcome, action = retry_state.outcome, retry_state.next_action
        reason = outcome.exception() if outcome is not None else None
        delay = action.sleep if action is not None else 0.0
        self.note(f"{reason}; reconnecting in {delay:.1f} s")

    def _session_once(self) -> None:
        try:
            self._session()
        except Reconnect as exc:
            raise LgspApiError(0, "connection_failed", str(exc)) from exc

    def _session(self) -> None:
        """One connection, from the handshake until it ends (`Reconnect`) or `stop`."""
        if self.stop.is_set():
            return
        with self._open(self._target()) as ws:  # leaving it closes with 1000
            try:
                self._serve(ws)
            except KeyboardInterrupt:
                self._interrupted = True
                self.stop.set()

    def _target(self) -> str:
        if self._url is None:
            try:
                self._url = websocket_url(self.client, self._override)
            except LgspApiError as exc:
                if exc.status and exc.status < 500:
                    raise
                raise Reconnect(f"cannot read the hub's health ({exc.code})") from exc
        return self._url

    # -- the handshake ------------------------------------------------------------------

    def _open(self, url: str) -> ClientConnection:
        """Handshake; on a `clock_skew` refusal read the hub's clock once and try again,
        as the REST calls do."""
        try:
            return self._handshake(url)
        except LgspApiError as exc:
            if exc.code != "clock_skew":
                raise
        try:
            self.client.sync_clock()
        except LgspApiError as exc:
            raise Reconnect(f"cannot read the hub's clock ({exc.code})") from exc
        return self._handshake(url)

    def _handshake(self, url: str) -> ClientConnection:
        headers = self.auth.sign_headers("GET", url)  # fresh created and nonce each time
        try:
            ws = self._connect(url, additional_headers=headers, user_agent_header=USER_AGENT,
                               open_timeout=OPEN_TIMEOUT)
        except InvalidStatus as exc:
            error = refusal(exc)
            if is_final(error.status):
                raise error from None
            raise Reconnect(f"the hub refused the connection (HTTP {error.status} "
                            f"{error.code})") from exc
        except InvalidURI as exc:
            raise ConfigError(f"invalid WebSocket URL {url!r}") from exc
        except (OSError, WebSocketException) as exc:  # TimeoutError is an OSError
            raise Reconnect(f"cannot connect to {url} ({str(exc) or type(exc).__name__})") \
                from exc
        self.connections += 1
        self.note(f"connected to {url}")
        return ws

    # -- the open connection ------------------------------------------------------------

    def _serve(self, ws: ClientConnection) -> None:
        """Sync, then read frames and keep the heartbeat until stopped or disconnected."""
        beat = Heartbeat(self._clock)
        give_up = self._clock() + OPEN_TIMEOUT * 3  # only `once` waits for nothing else
        self._send(ws, SYNC)
        while not self.stop.is_set():
            if self.once and self._clock() > give_up:
                raise Reconnect("the hub sent no summary")
            if self._sync_wanted.is_set():
                self._sync_wanted.clear()
                self._send(ws, SYNC)
            raw = self._receive(ws, beat.timeout(self._poll))
            if raw is not None and self._handle(raw, beat) and self.once:
                return
            if beat.due():
                beat.sent()  # the next one counts from now, even if this send is slow
                self._send(ws, HEARTBEAT)

    def _send(self, ws: ClientConnection, frame: Mapping[str, Any]) -> None:
        try:
            ws.send(json.dumps(frame))
        except ConnectionClosed as exc:
            raise Reconnect(_closed(exc)) from exc

    def _receive(self, ws: ClientConnection, timeout: float) -> str | bytes | None:
        try:
            return ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        except ConnectionClosed as exc:
            raise Reconnect(_closed(exc)) from exc

    def _handle(self, raw: str | bytes, beat: Heartbeat) -> bool:
        """Show one frame and act on it; True for a summary."""
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            self.note(f"ignored a frame that is not a JSON object: {str(raw)[:120]!r}")
            return False
        kind = frame.get("type")
        if kind == "summary":  # the schedule first: what is shown may be acted upon
            beat.every(frame.get("heartbeat_seconds"))
            self.backoff.reset()
        self._show(frame)
        if kind == "summary":
            self._fetch_waiting(frame)
            return True
        if kind == "error":
            self.note(f"hub error: {frame.get('code')}: {frame.get('message')}")
        elif kind == "message.available" and self.fetcher is not None:
            self.fetcher.offer(str(frame.get("message_id") or ""))
        return False

    def _show(self, frame: Mapping[str, Any]) -> None:
        """Print a frame; one that cannot be rendered (a malformed summary) as JSON."""
        try:
            lines = self._render(frame)
        except (AttributeError, TypeError, ValueError):
            lines = [json.dumps(frame, ensure_ascii=False, default=str)]
        for line in lines:
            self.emit(line)

    def _render(self, frame: Mapping[str, Any]) -> list[str]:
        if self.as_json:
            return [json.dumps(frame, ensure_ascii=False, separators=(",", ":"))]
        if frame.get("type") == "summary":
            return summary_lines(frame)
        if frame.get("type") == "notice" and isinstance(frame.get("notice"), dict):
            return [event_line(frame), *notice_lines(frame["notice"])[1:]]  # then its body
        return [] if frame.get("type") in QUIET_TYPES else [event_line(frame)]

    def _fetch_waiting(self, summary: Mapping[str, Any]) -> None:
        """Queue the summary's inbox in its (delivery) order. When the hub listed only
        the first of more, ask for a fresh summary once these are done."""
        inbox = summary.get("inbox")
        if self.fetcher is None or not isinstance(inbox, dict):
            return
        for item in inbox.get("items") or []:
            if isinstance(item, dict):
                self.fetcher.offer(str(item.get("id") or ""))
        if inbox.get("more") and not self.once:
            self.fetcher.then(self._sync_wanted.set)
