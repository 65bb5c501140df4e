"""The single-machine host: the hub's HTTP API on loopback with embedded, persistent
backends under `./var/` (SeaweedFS for the exchange spaces, SQLite for the table).

    make run                      # or: python -m infra.local.host (demo mode, announced)
    LGSP_PORT=9000 make run
    LGSP_MODE=production LGSP_VAR_DIR=/srv/lgsp python -m infra.local.host

The same Chalice app that runs on Lambda answers every request: this host only turns
HTTP into API Gateway events (chalice's LocalGateway) and starts/stops the backends.
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
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException, RouteMatcher

from chalicelib.api.http import (
    METHODS,
    declared_methods,
    method_not_allowed_response,
    route_not_found_response,
)
from chalicelib.services import sweeper
from chalicelib.services.deps import Deps
from infra.local.backends import Backends, HostSettings
from infra.local.ws_gateway import WebSocketGateway
from infra.local.ws_sigv4 import ManagementAuth

log = logging.getLogger("lgsp.host")


class _Handler(BaseHTTPRequestHandler):
    gateway: LocalGateway
    websockets: WebSocketGateway
    app: Chalice
    routes: RouteMatcher
    protocol_version = "HTTP/1.1"
    server_version = "lgsp"
    # Headers and body leave in two writes; with Nagle's algorithm the body waited for the
    # client's delayed ACK of the headers (~40 ms per POST on Linux), see docs/performance.md.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.websockets.owns(self.command, self.path):
            reply = self.websockets.handle(self, body or b"")
            if reply is not None:
                self._write(reply.status, reply.headers, reply.body)
            return
        headers = dict(self.headers.items())
        try:
            response = self._refusal() or self.gateway.handle_request(
                self.command, self.path, headers, body)
            status, out_headers = response["statusCode"], dict(response.get("headers") or {})
            payload = response.get("body") or b""
            if response.get("isBase64Encoded"):
                payload = base64.b64decode(payload)
        except LocalGatewayException as exc:
            status, out_headers, payload = exc.CODE, dict(exc.headers), exc.body or b""
        self._write(status, out_headers, payload.encode() if isinstance(payload, str) else payload)

    def _refusal(self) -> dict[str, Any] | None:
        """What API Gateway answers before the app on AWS, in the project's shape: an
        unknown path is 404 `route_not_found` (chalice's local gateway says 403 "Missing
        Authentication Token"), and a method outside API Gateway's set is 405 with the
        path's methods, as the app answers the ones a path does not declare."""
        try:
            route = self.routes.match_route(self.path).route
        except ValueError:
            return route_not_found_response().to_dict()
        if self.command in METHODS:
            return None
        allowed = declared_methods(self.app, route)
        return method_not_allowed_response(self.command, route, allowed).to_dict()

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a `do_<METHOD>` (TRACE, CONNECT, QUERY, any
        # token) with its own 501 HTML page; every method is served here instead.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _write(self, status: int, out_headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in out_headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


class HubServer(ThreadingHTTPServer):
    """The threaded HTTP server, whose `shutdown()` also closes every open WebSocket
    (1001, Going away) so each one's `$disconnect` runs before the backends stop."""

    daemon_threads = True
    # socketserver's default backlog of 5 overflows when a few dozen clients (or the other
    # host processes' pushes) connect at once; the kernel then drops or resets connections.
    request_queue_size = 128
    websockets: WebSocketGateway

    def shutdown(self) -> None:
        super().shutdown()
        self.websockets.close_all()


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
                ws_auth: ManagementAuth | None = None, ws_close_timeout: float = 2.0
                ) -> HubServer:
    """An HTTP server that hands every request to the Chalice app (`app.py`'s unless
    given), WebSockets and the management API included. `ws_auth` defaults to the
    `LGSP_WS_*` keys of the environment, which the backends export."""
    if app is None:
        from app import app as hub_app

        app = hub_app
    _requests_per_thread(app)
    websockets = WebSocketGateway(app, ws_auth or ManagementAuth.from_env(os.environ),
                                  close_timeout=ws_close_timeout)
    handler = type("Handler", (_Handler,), {"gateway": LocalGateway(app, Config()),
                                            "websockets": websockets, "app": app,
                                            "routes": RouteMatcher(list(app.routes))})
    server = HubServer((host, port), handler)
    server.websockets = websockets
    return server


def _sweep_every(deps: Deps, seconds: float, stop: threading.Event) -> None:
    """The sweeper on its schedule, as `@app.schedule` runs it on AWS."""
    while not stop.wait(seconds):
        try:
            sweeper.sweep(deps)
        except Exception:  # the next run retries; the host keeps serving
            log.exception("sweep failed")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = HostSettings.from_env(os.environ)
    backends = Backends(cfg)
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    deps = backends.start()
    notice = backends.announcement(deps)
    if notice:
        print(notice, file=sys.stderr, flush=True)
    try:
        auth = ManagementAuth.from_env(os.environ, region=deps.settings.aws_region)
        server = make_server(cfg.port, ws_auth=auth)
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        threading.Thread(target=_sweep_every, args=(deps, cfg.sweep_seconds, stop),
                         name="sweeper", daemon=True).start()
        creds = backends.demo_credentials_path if backends.demo else None
        print(json.dumps({"hub": f"http://127.0.0.1:{cfg.port}",
                          "websocket": f"ws://127.0.0.1:{cfg.port}/ws", "data": str(backends.var),
                          "s3": deps.settings.s3_endpoint, "s3_embedded": cfg.s3_embedded,
                          "mode": cfg.mode, "demo_credentials": creds and str(creds)}),
              flush=True)
        print(f"LGSP hub listening on http://127.0.0.1:{cfg.port} (Ctrl-C stops)", flush=True)
        stop.wait()
        server.shutdown()  # and every WebSocket, each with its $disconnect
        server.server_close()
    finally:
        backends.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

