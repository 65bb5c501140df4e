"""A tiny destination service (R-AUTH-6) that serves only calls the hub vouches for.

Every request must carry `Authorization: Bearer <session token>` and the source's RFC 9421
signature; the service asks the hub (signed with its own key) before answering.

    LGSP_ENDPOINT=https://lgsp.example.gov.vn LGSP_ACCESS_KEY=... LGSP_SECRET_KEY=... \
    LGSP_SERVICE=000.00.02.H99/land-records PORT=8081 python destination_service.py
"""

from __future__ import annotations

import json
import logging
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lgsp_client import LgspApiError, LgspClient
from lgsp_client.broker import (
    BrokeredCallRefused,
    IncomingRequest,
    bearer_token,
    verify_brokered_call,
)

log = logging.getLogger("destination_service")


def make_server(hub: LgspClient, service: str, *, host: str = "127.0.0.1", port: int = 0,
                scheme: str = "http", required_scopes: tuple[str, ...] = ("read",)
                ) -> ThreadingHTTPServer:
    """An HTTP server answering each verified call with who called and what it asked."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, data: object) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            url = f"{scheme}://{self.headers.get('Host', '')}{self.path}"
            try:
                source = verify_brokered_call(
                    hub, bearer_token(headers), IncomingRequest(self.command, url, headers, body),
                    service=service, required_scopes=required_scopes)
            except BrokeredCallRefused as exc:
                log.info("refused %s %s: %s", self.command, self.path, exc.code)
                self._answer(exc.status, {"error": {"code": exc.code, "message": exc.message}})
                return
            except LgspApiError as exc:
                log.warning("hub unavailable: %s", exc.code)
                self._answer(503, {"error": {"code": "hub_unavailable",
                                             "message": "cannot verify the call now"}})
                return
            self._answer(200, {"path": self.path, "bytes": len(body), "caller": {
                "unit": source.unit, "app": source.app, "scopes": sorted(source.scopes)}})

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            return None  # request lines may carry identifiers; the handler logs outcomes

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    hub = LgspClient(os.environ["LGSP_ENDPOINT"], os.environ["LGSP_ACCESS_KEY"],
                     os.environ["LGSP_SECRET_KEY"])
    server = make_server(hub, os.environ["LGSP_SERVICE"], host=os.environ.get("HOST", "0.0.0.0"),
                         port=int(os.environ.get("PORT", "8081")))
    log.info("serving %s on port %s", os.environ["LGSP_SERVICE"], server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
