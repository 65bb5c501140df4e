"""The WebSocket API (R-COMP-5, R-SEND-1, R-RECV-1, R-PROP-9): `$connect`, frames,
`$disconnect`, as API Gateway (or the local host, which speaks the same events) sends them.

`$connect` is authenticated like a REST call: the upgrade GET is signed (RFC 9421, a nonce
required) over its http(s) URL; or it carries a one-time `ticket`. A refusal answers the
handshake with the error's status and the usual JSON error body.

Frames are JSON with an `action`:
- `sync`: answered with the summary (pending inbox in delivery order, recent outbox);
- `heartbeat`: keeps presence fresh, answered with the server time.
Replies go through the management API, as pushes do.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from typing import Any

from chalicelib.bootstrap import deps
from chalicelib.domain.errors import AuthenticationError, LgspError
from chalicelib.domain.signatures import Caller, SignedRequest
from chalicelib.domain.times import iso
from chalicelib.services import connections, push, tickets
from chalicelib.services.auth import authenticate
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.ws")
MAX_FRAME = 4096  # client frames are small commands


def endpoint_of(d: Deps, context: dict[str, Any]) -> str:
    """The management endpoint of the gateway that holds this connection."""
    return d.settings.ws_endpoint or f"https://{context['domainName']}/{context['stage']}"


def _query(event: dict[str, Any]) -> list[tuple[str, str]]:
    multi = event.get("multiValueQueryStringParameters") or {}
    if multi:
        return [(k, v) for k, values in multi.items() for v in values]
    return list((event.get("queryStringParameters") or {}).items())


def signed_handshake(d: Deps, event: dict[str, Any]) -> SignedRequest:
    """The upgrade GET as the client signed it: its http(s) URL, canonical query."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    scheme = headers.get("x-forwarded-proto", d.settings.default_scheme)
    path = d.settings.ws_path or "/" + event["requestContext"]["stage"]
    pairs = sorted(_query(event))
    query = ("?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)) if pairs else ""
    return SignedRequest(method="GET", url=f"{scheme}://{headers.get('host', '')}{path}{query}",
                         headers=headers, body=b"")


def _authenticate(d: Deps, event: dict[str, Any]) -> Caller:
    ticket = dict(_query(event)).get("ticket")
    if ticket:
        return tickets.redeem(d, ticket)
    headers = {k.lower() for k in (event.get("headers") or {})}
    if "signature" not in headers:
        raise AuthenticationError("Sign the handshake or pass a ticket.",
                                  code="signature_missing")
    return authenticate(d, signed_handshake(d, event), require_nonce=True)


def _log(route: str, started: float, status: int, code: str | None, *, unit: str | None,
         connection_id: str) -> None:
    log.info(json.dumps({"route": route, "status": status, "code": code, "unit": unit,
                         "connection_id": connection_id,
                         "ms": round((time.monotonic() - started) * 1000, 1)}))


def handle_connect(event: dict[str, Any]) -> dict[str, Any]:
    started, context = time.monotonic(), event["requestContext"]
    cid = context["connectionId"]
    try:
        d = deps()
        caller = _authenticate(d, event)
        connections.open_connection(d, caller, connection_id=cid,
                                    endpoint=endpoint_of(d, context),
                                    source_ip=(context.get("identity") or {}).get("sourceIp"))
    except LgspError as err:
        _log("$connect", started, err.status, err.code, unit=None, connection_id=cid)
        return {"statusCode": err.status, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"error": {"code": err.code, "message": err.message}})}
    except Exception:
        log.exception("unhandled error on $connect")
        _log("$connect", started, 500, "internal_error", unit=None, connection_id=cid)
        return {"statusCode": 500}
    _log("$connect", started, 200, None, unit=caller.unit, connection_id=cid)
    return {"statusCode": 200}


def _reply(d: Deps, context: dict[str, Any], body: dict[str, Any]) -> None:
    connections.post(d, {"endpoint": endpoint_of(d, context),
                         "connection_id": context["connectionId"]}, push.frame(body))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def _answer(d: Deps, conn: dict[str, Any] | None, body: str) -> dict[str, Any]:
    if conn is None:
        return _error("not_connected", "This connection is no longer registered; reconnect.")
    try:
        command = json.loads(body) if len(body) <= MAX_FRAME else None
    except ValueError:
        command = None
    action = command.get("action") if isinstance(command, dict) else None
    if action is None:
        return _error("bad_frame", 'Frames are JSON objects with an "action" '
                                   f"(sync or heartbeat) of at most {MAX_FRAME} bytes.")
    if action == "sync":
        return push.summary(d, conn)
    if action == "heartbeat":
        return {"type": "heartbeat", "server_time": iso(d.clock.now())}
    return _error("unknown_action", "Known actions: sync, heartbeat.")


def handle_message(event: dict[str, Any]) -> dict[str, Any]:
    started, context = time.monotonic(), event["requestContext"]
    cid = context["connectionId"]
    d = deps()
    try:
        conn = connections.heartbeat(d, cid)  # any frame shows the connection is alive
        answer = _answer(d, conn, str(event.get("body") or ""))
        _reply(d, context, answer)
    except Exception:
        log.exception("unhandled error on a WebSocket frame")
        _log("$default", started, 500, "internal_error", unit=None, connection_id=cid)
        return {"statusCode": 500}
    code = answer.get("code") if answer["type"] == "error" else None
    _log("$default", started, 200, code, unit=conn["unit"] if conn else None, connection_id=cid)
    if conn is None:
        d.connections.close(endpoint_of(d, context), cid)
    return {"statusCode": 200}


def handle_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    started, context = time.monotonic(), event["requestContext"]
    cid = context["connectionId"]
    try:
        connections.close_connection(deps(), cid, "disconnected")
    except Exception:
        log.exception("unhandled error on $disconnect")
        return {"statusCode": 500}
    _log("$disconnect", started, 200, None, unit=None, connection_id=cid)
    return {"statusCode": 200}
