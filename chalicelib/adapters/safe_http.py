"""Outbound calls to URLs somebody gave the hub (webhook endpoints, the catalogue's proxy),
safe against server-side request forgery (issue 16, `docs/webhooks.md`,
`docs/catalogue.md`).

Before anything is sent, the URL must pass `domain/outbound.py`: https (http only when
allowed), a host name that resolves, and every address it resolves to public or inside a
range the operator allowed. The name is resolved once, and the connection goes to the
address that was checked (no second lookup a rebinding DNS server could answer
differently); the `Host` header and, for https, the TLS server name (SNI) and the
certificate check use the name. No redirect is ever followed (http.client follows none: a
3xx is the answer); at most `max_answer` bytes of the answer are read, the rest dropped;
connecting and each read have a timeout. Standard library only, nothing logged here.

    poster = SafePoster(allow_http=False, allowed=settings().webhook_private_networks)
    answer = poster.post(url, body, headers, timeout=10, max_answer=4096)
    answer.status, answer.body, answer.elapsed_ms
    relayed = poster.request("GET", url, b"", headers, timeout=30, max_answer=6 * 2**20)
    relayed.status, relayed.headers, relayed.body   # only the safe answer headers

`request` is the proxy's: any method, and an answer over `max_answer` is an error
(`too_large`), never cut; only the answer headers a caller may see are kept
(`ANSWER_HEADERS`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping

from chalicelib.domain.outbound import (
    Network,
    OutboundFailedError,
    OutboundRefusedError,
    Target,
    refusal,
    target,
)
from chalicelib.domain.ports import HttpAnswer, RelayedAnswer

# The answer headers `request` keeps: what describes the body, never a cookie or a
# server's internals.
ANSWER_HEADERS = ("content-type", "content-length", "etag", "cache-control",
                  "last-modified", "location")
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has for a TCP connection (an address literal is itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefusedError("unresolvable", f"{host} does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class _PinnedHTTP(http.client.HTTPConnection):
    """A connection to `address`, speaking to the name it was made with (Host header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    default_port = 443

    def __init__(self, host: str, port: int, address: str, timeout: float,
                 tls: ssl.SSLContext) -> None:
        super().__init__(host, port, address, timeout)
        self.tls = tls

    def connect(self) -> None:
        super().connect()
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


class SafePoster:
    """`post` a body to a given URL under the rules above. `resolver` and `tls` are for
    tests (a name that points at a local server, a private CA)."""

    def __init__(self, *, allow_http: bool = False, allowed: Iterable[Network] = (),
                 resolver: Resolver = resolve, tls: ssl.SSLContext | None = None) -> None:
        self._allow_http = allow_http
        self._allowed = tuple(allowed)
        self._resolver = resolver
        self._tls = tls

    def check(self, url: str) -> tuple[Target, list[str]]:
        """The URL's parts and its checked addresses, or `OutboundRefusedError` (for a
        subscription, before it is saved). Nothing is sent."""
        where = target(url, allow_http=self._allow_http)
        addresses = self._resolver(where.host, where.port)
        if not addresses:
            raise OutboundRefusedError("unresolvable", f"{where.host} has no address")
        for address in addresses:
            reason = refusal(address, self._allowed)
            if reason:
                raise OutboundRefusedError(
                    reason, f"{where.host} resolves to an address the hub does not call "
                            f"({reason.replace('_', '-')})")
        return where, addresses

    def post(self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float,
             max_answer: int) -> HttpAnswer:
        """POST `body`; the status, the answer's first `max_answer` bytes and the time
        taken. `OutboundRefusedError` before connecting; `OutboundFailedError` when nothing
        usable answered (`timeout` applies to connecting and to each read)."""
        answer = self._send("POST", url, body, headers, timeout=timeout,
                            max_answer=max_answer, whole=False)
        return HttpAnswer(answer.status, answer.body, answer.elapsed_ms)

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str], *,
                timeout: float, max_answer: int) -> RelayedAnswer:
        """Send `method` with `body` (none when empty); the status, the `ANSWER_HEADERS`
        and the whole answer, or `OutboundFailedError` `too_large` when it is over
        `max_answer` bytes (refusals and failures as `post`'s). A 3xx is the answer."""
        return self._send(method, url, body, headers, timeout=timeout,
                          max_answer=max_answer, whole=True)

    def _send(self, method: str, url: str, body: bytes, headers: Mapping[str, str], *,
              timeout: float, max_answer: int, whole: bool) -> RelayedAnswer:
        where, addresses = self.check(url)
        started = time.monotonic()
        failure: OutboundFailedError | None = None
        for address in addresses:
            connection = self._connection(where, address, timeout)
            try:
                return self._exchange(connection, where, (method, body), headers,
                                      max_answer=max_answer, started=started, whole=whole)
            except OutboundFailedError as exc:
                if exc.reason != "connect_failed":
                    raise
                failure = exc
            finally:
                connection.close()
        assert failure is not None
        raise failure

    def _connection(self, where: Target, address: str,
                    timeout: float) -> http.client.HTTPConnection:
        if where.scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            return _PinnedHTTPS(where.host, where.port, address, timeout, self._tls)
        return _PinnedHTTP(where.host, where.port, address, timeout)

    @staticmethod
    def _exchange(connection: http.client.HTTPConnection, where: Target,
                  sent: tuple[str, bytes], headers: Mapping[str, str], *, max_answer: int,
                  started: float, whole: bool) -> RelayedAnswer:
        method, body = sent
        try:
            connection.connect()
        except ssl.SSLError as exc:
            raise OutboundFailedError("tls_failed", f"TLS: {exc.reason}") from exc
        except TimeoutError as exc:
            raise OutboundFailedError("timeout", "no connection in time") from exc
        except OSError as exc:
            raise OutboundFailedError("connect_failed", f"cannot connect: {exc}") from exc
        try:
            connection.request(method, where.path, body=body or None,
                               headers={**headers, "Connection": "close"})
            answer = connection.getresponse()
            prefix = answer.read(max_answer + 1 if whole else max_answer)
        except TimeoutError as exc:
            raise OutboundFailedError("timeout", "no answer in time") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise OutboundFailedError("bad_answer", f"{type(exc).__name__}: {exc}") from exc
        if len(prefix) > max_answer:
            raise OutboundFailedError("too_large", f"the answer is over {max_answer} bytes")
        kept = {name: value for name, value in
                ((k.lower(), v) for k, v in answer.getheaders()) if name in ANSWER_HEADERS}
        return RelayedAnswer(answer.status, kept, prefix,
                             round((time.monotonic() - started) * 1000, 1))
