"""Outbound HTTP from the hub to peer hubs (issue 15): their API and their JWKS.

Standard library `http.client`, so each bound is explicit: a connect timeout and a read
timeout of their own (urllib has one for both), no redirect ever followed (http.client
follows none: a 3xx is the answer, so a peer cannot bounce a signed call elsewhere), the
answer read up to a limit and refused beyond it, https verified against the system's CA
store. Nothing here logs: the caller logs the peer, the status and the time, never a
body or a header.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.parse
from collections.abc import Mapping

from chalicelib.domain.ports import HttpAnswer


class HttpPeerTransport:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None,
             connect_timeout: float, read_timeout: float, max_answer: int) -> HttpAnswer:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OSError(f"not an http(s) URL: {parts.scheme}")
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            connection = http.client.HTTPSConnection(parts.hostname, parts.port,
                                                     timeout=connect_timeout, context=self._tls)
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                    timeout=connect_timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        started = time.monotonic()
        try:
            connection.connect()
            assert connection.sock is not None
            connection.sock.settimeout(read_timeout)
            connection.request(method, target, body=body, headers=dict(headers))
            answer = connection.getresponse()
            data = answer.read(max_answer + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()
        if len(data) > max_answer:
            raise OSError(f"the answer is longer than {max_answer} bytes")
        return HttpAnswer(answer.status, data, round((time.monotonic() - started) * 1000, 1))
