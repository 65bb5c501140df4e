"""`lgsp services call UNIT/ID METHOD PATH [--data @FILE|-|TEXT] [--header NAME:VALUE]...
[--query NAME=VALUE]... [-i]`: call a listed service through the hub's proxy with your
app's grant (the hub's docs/catalogue.md, "Proxy mode"), as curl would call it.

The service's answer body goes to stdout as it came (binary too) and its status to
stderr (`-i`: the status line and the answer's headers first, on stdout, as `curl -i`);
exit 0 for a 2xx, 1 otherwise. A refusal by the hub itself (no grant, rate limited,
service unreachable...) prints `error: <code>: <message>` (and `retry after: N s`), exit 1.
"""

from __future__ import annotations

import argparse
import http
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.api_catalogue import ServiceAnswer
from lgsp_client.errors import LgspApiError, describe

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _method(value: str) -> str:
    if value.upper() not in METHODS:
        raise argparse.ArgumentTypeError(f"invalid method {value!r}: {', '.join(METHODS)}")
    return value.upper()


def _header(value: str) -> tuple[str, str]:
    name, colon, text = value.partition(":")
    if not colon or not name.strip() or any(c in value for c in "\r\n"):
        raise argparse.ArgumentTypeError(f"invalid header {value!r}: use NAME:VALUE")
    return name.strip(), text.strip()


def _pair(value: str) -> tuple[str, str]:
    name, equals, text = value.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"invalid query {value!r}: use NAME=VALUE")
    return name, text


def add_call_command(actions: Any, common: argparse.ArgumentParser,
                     service_ref: Any) -> None:
    call = actions.add_parser("call", parents=[common], help="call a listed service "
                              "through the hub with your app's grant (like curl)")
    call.add_argument("service", type=service_ref, metavar="UNIT/ID")
    call.add_argument("method", type=_method, metavar="METHOD", help=", ".join(METHODS))
    call.add_argument("path", metavar="PATH", help="after the service's base URL, e.g. "
                      "/parcels/12 (a ?query too); at most 8 segments")
    call.add_argument("-d", "--data", metavar="@FILE|-|TEXT", help="the body: a file's "
                      "bytes, stdin's (-), or the text; Content-Type application/json if "
                      "it parses as JSON, else application/octet-stream, unless --header")
    call.add_argument("-H", "--header", action="append", type=_header, default=[],
                      metavar="NAME:VALUE", help="a header for the service (repeat)")
    call.add_argument("--query", action="append", type=_pair, default=[],
                      metavar="NAME=VALUE", help="a query parameter (repeat)")
    call.add_argument("-i", "--include", action="store_true",
                      help="print the status line and the answer's headers first")


def _body(data: str | None) -> bytes | None:
    if data is None:
        return None
    if data == "-":
        return sys.stdin.buffer.read()
    if data.startswith("@"):
        return Path(data[1:]).read_bytes()
    return data.encode("utf-8")


def _media_type(body: bytes) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "application/octet-stream"
    return "application/json"


def _status_line(status: int) -> str:
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _write(out: TextIO, data: bytes) -> None:
    """Bytes as they are to a stream with a binary side (stdout, a file); else as text."""
    binary = getattr(out, "buffer", None)
    if binary is None:
        out.write(data.decode("utf-8", "replace"))
        return
    out.flush()
    binary.write(data)
    binary.flush()


def _show(answer: ServiceAnswer, include: bool, out: TextIO) -> None:
    if include:
        head = [_status_line(answer.status),
                *(f"{name}: {value}" for name, value in answer.headers.items())]
        _write(out, ("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))
    else:
        print(_status_line(answer.status), file=sys.stderr)
    _write(out, answer.body)


def run_call(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out `services call`; the exit code says whether the service answered 2xx."""
    body = _body(args.data)
    headers = dict(args.header)
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = _media_type(body)
    path, _, inline = args.path.partition("?")
    query = [*urllib.parse.parse_qsl(inline, keep_blank_values=True), *args.query]
    unit, service_id = args.service
    try:
        answer = client.call_service(f"{unit}/{service_id}", args.method, path, body=body,
                                     headers=headers, query=query)
    except LgspApiError as exc:  # the hub's own refusal: nothing of the service's
        print(f"error: {describe(exc)}", file=sys.stderr)
        if "retry_after" in exc.details:
            print(f"retry after: {exc.details['retry_after']} s", file=sys.stderr)
        return 1
    _show(answer, args.include, out)
    return 0 if answer.ok else 1
