"""The catalogue's proxy mode (issue 16, R-COMP-3; docs/catalogue.md "Proxy mode"): which
request the hub forwards to a service, and what it counts. Pure: the service
(`services/proxy.py`) reads the grant and the window, sends, and writes.

- The path after `/call` comes as decoded segments (API Gateway and the local host decode
  them); each is checked (no empty, `.` or `..` segment, no control character) and encoded
  again, so nothing a caller sends can climb out of the service's base URL, name another
  host or scheme, or split a header line.
- The caller's headers are forwarded except hop-by-hop ones, its own credentials
  (`signature`, `signature-input`, `authorization`, `cookie`, `content-digest`), anything
  naming the hub's identity headers (`lgsp-*`) or a gateway's (`x-forwarded-*`,
  `forwarded`, `x-amz*`), and `accept-encoding` (the answer is relayed as it comes,
  without its `content-encoding`).
- A grant allows `rate_per_minute` calls per minute window (UTC minutes, `now // 60`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidRequestError, LgspError

MiB = 1024 * 1024
MAX_BODY = 6 * MiB  # the Lambda payload limit, both ways
MAX_DEPTH = 8  # path segments after /call
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CALLER_UNIT, CALLER_APP, GRANT, SCOPES = ("lgsp-caller-unit", "lgsp-caller-app",
                                          "lgsp-grant", "lgsp-scopes")
_DROPPED = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
    "content-length", "expect", "signature", "signature-input", "authorization", "cookie",
    "content-digest", "accept-encoding", "forwarded"})
_DROPPED_PREFIXES = ("lgsp-", "x-forwarded-", "x-amz")
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"


class ProxyBodyTooLargeError(LgspError):
    status = 413
    code = "proxy_body_too_large"


class RateLimitedError(LgspError):
    status = 429
    code = "rate_limited"


class ServiceFailedError(LgspError):
    """The service gave no usable answer (502), or none in time (504 `service_timeout`)."""

    status = 502
    code = "service_unreachable"


class ServiceTimeoutError(ServiceFailedError):
    status = 504
    code = "service_timeout"


def forward_path(segments: Iterable[str]) -> str:
    """The path to append to the service's base URL, or 400 `invalid_proxy_path`."""
    parts = list(segments)
    for part in parts:
        if part in ("", ".", "..") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in part):
            raise InvalidRequestError(
                "The path after /call must be plain segments: no empty, '.' or '..' "
                "segment and no control character.", code="invalid_proxy_path")
    return "/" + "/".join(urllib.parse.quote(p, safe=_SEGMENT_SAFE) for p in parts)


def forward_query(params: Mapping[str, list[str]]) -> str:
    """The query string as the caller sent it (names in order), encoded again."""
    pairs = [(name, value) for name, values in params.items() for value in values]
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote) if pairs else ""


def target_url(base_url: str, path: str, query: str) -> str:
    return base_url.rstrip("/") + path + (f"?{query}" if query else "")


def _dropped(name: str, named_by_connection: frozenset[str]) -> bool:
    return name in _DROPPED or name in named_by_connection or name.startswith(
        _DROPPED_PREFIXES)


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The caller's headers the service gets (lower-case names)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    named = frozenset(p.strip().lower() for p in lowered.get("connection", "").split(","))
    return {k: v for k, v in lowered.items()
            if not _dropped(k, named) and "\r" not in v and "\n" not in v}


def identity_headers(unit: str, app: str, grant_id: str, scopes: Iterable[str]
                     ) -> dict[str, str]:
    """The caller's verified identity, signed by the hub (`proxy_signatures`)."""
    return {CALLER_UNIT: unit, CALLER_APP: app, GRANT: grant_id, SCOPES: " ".join(scopes)}


def check_body(size: int) -> None:
    if size > MAX_BODY:
        raise ProxyBodyTooLargeError(f"The body is {size} bytes; the proxy forwards at most "
                                     f"{MAX_BODY} (6 MiB). Nothing was sent.",
                                     limit=MAX_BODY)


def window(now: int) -> int:
    """The minute window a call at `now` counts in."""
    return now // 60


def retry_after(now: int) -> int:
    """Seconds until the next window opens (1-60)."""
    return 60 - now % 60


def failed(status: int | None) -> bool:
    """A call that counts as failed: no usable answer, or a 5xx."""
    return status is None or status >= 500


def usage(sent: int, got: int, status: int | None) -> tuple[dict[str, int], dict[str, int]]:
    """What one proxied call adds to the consumer's and to the provider's counters
    (`domain/traffic.py`: `service_calls_*`): bytes are the body sent and the answer."""
    fail = 1 if failed(status) else 0
    consumer = {"service_calls_made": 1, "service_bytes_sent": sent,
                "service_bytes_received": got, "service_calls_made_failed": fail}
    provider = {"service_calls_served": 1, "service_bytes_in": sent,
                "service_bytes_out": got, "service_calls_served_failed": fail}
    return consumer, provider


def usage_figures(counted: Mapping[str, Any] | None) -> dict[str, int]:
    """A grant's stored usage of a day or a month (its provider-side counters, `usage`)
    as both sides read it; nothing stored: zeros."""
    item = counted or {}
    return {"calls": int(item.get("service_calls_served", 0)),
            "failures": int(item.get("service_calls_served_failed", 0)),
            "request_bytes": int(item.get("service_bytes_in", 0)),
            "answer_bytes": int(item.get("service_bytes_out", 0))}
