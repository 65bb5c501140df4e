"""The single-machine host: the hub's HTTP API on loopback with embedded, persistent
backends under `./var/` (SeaweedFS for the exchange spaces, SQLite for the table).

    make run                      # or: python -m infra.local.host
    LGSP_PORT=9000 make run

The same Chalice app that runs on Lambda answers every request: this host only turns
HTTP into API Gateway events (chalice's LocalGateway) and starts/stops the backends.
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

from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

from infra.local.backends import Backends, HostSettings

log = logging.getLogger("lgsp.host")


class _Handler(BaseHTTPRequestHandler):
    gateway: LocalGateway
    protocol_version = "HTTP/1.1"
    server_version = "lgsp"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = dict(self.headers.items())
        try:
            response = self.gateway.handle_request(self.command, self.path, headers, body)
            status, out_headers = response["statusCode"], dict(response.get("headers") or {})
            payload = response.get("body") or b""
            if response.get("isBase64Encoded"):
                payload = base64.b64decode(payload)
        except LocalGatewayException as exc:
            status, out_headers, payload = exc.CODE, dict(exc.headers), exc.body or b""
        data = payload.encode() if isinstance(payload, str) else payload
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


def make_server(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server that hands every request to the Chalice app."""
    from app import app

    handler = type("Handler", (_Handler,), {"gateway": LocalGateway(app, Config())})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = HostSettings.from_env(os.environ)
    backends = Backends(cfg)
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    backends.start()
    try:
        server = make_server(cfg.port)
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        creds = backends.demo_credentials_path
        print(json.dumps({"hub": f"http://127.0.0.1:{cfg.port}", "data": str(backends.var),
                          "demo_credentials": str(creds)}), flush=True)
        print(f"LGSP hub listening on http://127.0.0.1:{cfg.port} (Ctrl-C stops)", flush=True)
        stop.wait()
        server.shutdown()
        server.server_close()
    finally:
        backends.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

