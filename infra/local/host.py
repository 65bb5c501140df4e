"""The single-machine host: the hub's HTTP API on loopback with embedded, persistent
backends under `./var/` (SeaweedFS for the exchange spaces, SQLite for the table).

    make run                      # or: python -m infra.local.host (demo mode, announced)
    LGSP_PORT=9000 make run
    LGSP_MODE=production LGSP_VAR_DIR=/srv/lgsp python -m infra.local.host

The same Chalice app that runs on Lambda answers every request: this host only turns
HTTP into API Gateway events (chalice's LocalGateway) and starts/stops the backends. Its
HTTP edge bounds what clients may take, as API Gateway does on AWS: body size, time,
workers, WebSockets (`http_connection`, `http_server`, docs/deploy.md).
The WebSocket API, which `chalice local` cannot serve, is on the same port at `/ws`, with
its management API (`/ws/@connections/{id}`) beside it (`ws_gateway`).

A second host on another port can share the first one's `var/` and store
(`LGSP_S3_EMBEDDED=false`): see "Many machines as one" in `docs/deploy.md`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import resource
import signal
import sys
import threading
import uuid
from typing import Any, cast

from chalice import Chalice
from chalice.config import Config
from chalice.local import LambdaEventConverter, LocalGateway, LocalGatewayException

from chalicelib.api.http import ROUTE_NOT_FOUND, declared_methods
from chalicelib.domain.errors import SchemaVersionError
from infra.local.backends import Backends, HostSettings
from infra.local.http_connection import HttpConnection, HttpLimits
from infra.local.http_server import EdgeServer
from infra.local.refusals import StartRefused
from infra.local.routes import IndexedRouteMatcher
from infra.local.seaweed import SeaweedError
from infra.local.sweeping import SweepLeader, holder_id
from infra.local.webhook_worker import WebhookWorker
from infra.local.ws_gateway import WebSocketGateway
from infra.local.ws_sigv4 import ManagementAuth

log = logging.getLogger("lgsp.host")

# The verbs a chalice route (and API Gateway) can declare; others never reach the app.
ROUTABLE = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
_GATEWAY_CODES = {401: "unauthorized", 403: "forbidden"}


class _Handler(HttpConnection):
    """Every request, whatever its verb: the WebSocket API, or the app through chalice's
    LocalGateway once its route and verb are known to exist (else 404 `route_not_found`,
    405 `method_not_allowed`, in the project's shape rather than chalice's)."""

    gateway: LocalGateway
    routes: IndexedRouteMatcher
    app: Chalice
    websockets: WebSocketGateway

    @property
    def hub(self) -> HubServer:
        return cast(HubServer, self.server)

    def serve_request(self) -> None:
        length = self.declared_length()
        if length is None:
            return
        if not self.path.startswith("/"):  # authority (CONNECT), absolute or '*' form
            if self.command == "CONNECT":
                self.reply_error(405, "method_not_allowed", "This hub is not a proxy.",
                                 {"Allow": ""}, close=True)
            else:
                self.reply_error(400, "invalid_request_target", "The request target must be "
                                 "a path starting with '/'.", close=True)
            return
        if self.websockets.owns(self.command, self.path):
            self._serve_websocket_api(length)
            return
        if self._refused_route(length):
            return
        body = self.read_body(length)
        if body is not None:
            self._serve_app(body or None)

    def _refused_route(self, length: int) -> bool:
        """Answer a path no route declares, or a verb no route can declare, without
        reading the body (chalice would say 403 "Missing Authentication Token")."""
        try:
            route = self.routes.match_route(self.path).route
        except ValueError:
            self.reply_error(404, "route_not_found", ROUTE_NOT_FOUND, close=length > 0)
            return True
        if self.command in ROUTABLE:
            return False
        allowed = ", ".join(declared_methods(self.app, route))
        self.reply_error(405, "method_not_allowed", f"This route does not take "
                         f"{self.command}; it takes {allowed}.", {"Allow": allowed},
                         close=length > 0)
        return True

    def _serve_websocket_api(self, length: int) -> None:
        if self.websockets.enabled and self.websockets.is_upgrade(self.command, self.path,
                                                                  self.headers):
            if not self.hub.open_websocket():
                self.reply_error(503, "too_many_websockets", "This hub holds as many "
                                 "WebSockets as it may; retry later.", {"Retry-After": "30"},
                                 close=True)
                return
            self.detach()
            threading.Thread(target=self._run_websocket, name="websocket", daemon=True).start()
            return
        body = self.read_body(length)
        if body is None:
            return
        reply = self.websockets.handle(self, body)
        if reply is not None:
            self.write(reply.status, reply.headers, reply.body)

    def _run_websocket(self) -> None:
        """The WebSocket's whole life, on its own thread (not a worker's)."""
        try:
            reply = self.websockets.handle(self, b"")
            if reply is not None:
                self.write(reply.status, reply.headers, reply.body)
        except Exception:
            log.exception("websocket failed")
        finally:
            self.close()
            self.hub.websocket_closed()

    def _serve_app(self, body: bytes | None) -> None:
        headers = dict(self.headers.items())
        try:
            response = self.gateway.handle_request(self.command, self.path, headers, body)
        except LocalGatewayException as exc:  # an authorizer's refusal, in our shape
            try:
                message = str(json.loads(exc.body or b"{}").get("message") or "Refused.")
            except (ValueError, AttributeError):
                message = "Refused."
            self.reply_error(exc.CODE, _GATEWAY_CODES.get(exc.CODE, "internal_error"), message)
            return
        status, out_headers = response["statusCode"], dict(response.get("headers") or {})
        out_headers.update(response.get("multiValueHeaders") or {})  # e.g. two Set-Cookie
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        self.write(status, out_headers, payload.encode() if isinstance(payload, str) else payload)


class HubServer(EdgeServer):
    """The host's HTTP server (`http_server`), whose `shutdown()` also closes every open
    WebSocket (1001, Going away) so each one's `$disconnect` runs before the backends stop."""

    websockets: WebSocketGateway

    def shutdown(self) -> None:
        self.stop_accepting()
        self.websockets.close_all()
        self.stop_connections()


def _requests_per_thread(app: Chalice) -> None:
    """Give each thread its own `app.current_request` and `app.lambda_context`.

    Chalice keeps the request being served in one attribute of the app, which is right on
    Lambda (an instance serves one invocation at a time) but not in this threaded server:
    a handler could read the request another thread has just set (aws/chalice#759) and
    answer one agency with another's result, or refuse a fresh nonce as replayed. Both
    were seen here with concurrent clients. The app's class is swapped, once, for a
    subclass whose two attributes live in a `threading.local`."""
    if getattr(type(app), "_per_thread_requests", False):
        return
    local = threading.local()

    def per_thread(name: str) -> property:
        return property(lambda self: getattr(local, name, None),
                        lambda self, value: setattr(local, name, value))

    cls = type(app)
    app.__dict__.pop("current_request", None)
    app.__dict__.pop("lambda_context", None)
    app.__class__ = type(cls.__name__, (cls,), {
        "_per_thread_requests": True, "current_request": per_thread("current_request"),
        "lambda_context": per_thread("lambda_context"), "__module__": cls.__module__})


def make_server(port: int, host: str = "127.0.0.1", app: Chalice | None = None, *,
                ws_auth: ManagementAuth | None = None, ws_close_timeout: float = 2.0,
                limits: HttpLimits | None = None) -> HubServer:
    """An HTTP server that hands every request to the Chalice app (`app.py`'s unless
    given), WebSockets and the management API included, within `limits` (defaults of
    `HttpLimits`). `ws_auth` defaults to the `LGSP_WS_*` keys of the environment, which
    the backends export."""
    if app is None:
        from app import app as hub_app

        app = hub_app
    _requests_per_thread(app)
    websockets = WebSocketGateway(app, ws_auth or ManagementAuth.from_env(os.environ),
                                  close_timeout=ws_close_timeout)
    limits = limits or HttpLimits()
    routes = IndexedRouteMatcher(list(app.routes))
    handler = type("Handler", (_Handler,), {
        "gateway": _Gateway(app, Config(), routes), "routes": routes,
        "app": app, "websockets": websockets, "limits": limits})
    server = HubServer((host, port), handler, limits)
    server.websockets = websockets
    return server


class _Gateway(LocalGateway):
    """chalice's LocalGateway with API Gateway's request id: in the event's
    `requestContext.requestId` (what the function logs, and a unit's error log records,
    R-OPS-5) and in the answer's `x-amzn-RequestId`, as on AWS."""

    _current = threading.local()  # each worker thread serves one request at a time

    def __init__(self, app: Chalice, config: Config, routes: IndexedRouteMatcher) -> None:
        super().__init__(app, config)
        self.event_converter = LambdaEventConverter(routes, app.api.binary_types)

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None
                       ) -> Any:
        self._current.request_id = str(uuid.uuid4())
        response = super().handle_request(method, path, headers, body)
        response.setdefault("headers", {})["x-amzn-RequestId"] = self._current.request_id
        return response

    def _generate_lambda_event(self, method: str, path: str, headers: Any,
                               body: bytes | None) -> Any:
        event = super()._generate_lambda_event(method, path, headers, body)
        event["requestContext"]["requestId"] = self._current.request_id
        return event


def _raise_open_files_limit(wanted: int) -> None:
    """Every connection is a file descriptor, and 1,000 WebSockets plus idle connections
    pass the soft limit of many systems (1,024): raise it towards the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        log.warning("open files limited to %d (the host may need %d): raise `ulimit -n`",
                    target, wanted)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = HostSettings.from_env(os.environ)
    limits = cfg.http_limits()
    _raise_open_files_limit(limits.max_websockets + limits.max_idle + limits.queue
                            + limits.workers + 1024)  # + the store, SQLite, logs, clients
    backends = Backends(cfg)
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        deps = backends.start()
    except (StartRefused, SeaweedError, SchemaVersionError) as exc:  # each says what to do
        print(f"LGSP hub not started: {exc}", file=sys.stderr, flush=True)
        return 1
    notice = backends.announcement(deps)
    if notice:
        print(notice, file=sys.stderr, flush=True)
    try:
        auth = ManagementAuth.from_env(os.environ, region=deps.settings.aws_region)
        server = make_server(cfg.port, ws_auth=auth, limits=limits)
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        leader = SweepLeader(deps, holder_id(cfg.port), sweep_seconds=cfg.sweep_seconds,
                             lease_seconds=cfg.sweep_lease_seconds, stop=stop)
        deps.kick.connect(leader.wake)
        leader.start()
        hooks = WebhookWorker(deps, leading=leader.leading, poll_seconds=cfg.webhook_poll_seconds,
                              stop=stop)
        deps.kick_webhooks.connect(hooks.wake)
        hooks.start()
        creds = backends.demo_credentials_path if backends.demo else None
        print(json.dumps({
            "hub": f"http://127.0.0.1:{cfg.port}",
            "websocket": f"ws://127.0.0.1:{cfg.port}/ws", "data": str(backends.var),
            "table": deps.settings.table_backend, "s3": deps.settings.s3_endpoint,
            "s3_embedded": cfg.s3_embedded, "mode": cfg.mode,
            "demo_credentials": creds and str(creds)}), flush=True)
        print(f"LGSP hub listening on http://127.0.0.1:{cfg.port} (Ctrl-C stops)", flush=True)
        stop.wait()
        log.info("stopping: no new connections; requests in progress finish")
        server.shutdown()  # and every WebSocket, each with its $disconnect
        server.server_close()
        leader.join(timeout=10)  # the lease given up, the sweep in progress finished
        hooks.wake()  # out of its wait, to see the stop
        hooks.join(timeout=15)  # the attempts in progress finished
    finally:
        backends.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

