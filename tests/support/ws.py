"""Driving the WebSocket handlers as API Gateway does: hand-built `$connect`, `$default`
and `$disconnect` events, invoked through the app's registered handlers."""

from __future__ import annotations

import itertools
import json
import urllib.parse
from typing import Any

from chalicelib.services.registry import IssuedCredentials
from tests.support.fakes import FakeConnections
from tests.support.hub import World
from tests.support.signing import sign

DOMAIN, STAGE = "abc123.execute-api.us-east-1.amazonaws.com", "api"
ENDPOINT = f"https://{DOMAIN}/{STAGE}"
_ids = itertools.count(1)


def ws_event(route: str, connection_id: str, *, headers: dict[str, str] | None = None,
             query: dict[str, str] | None = None, body: str | None = None) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$default": "MESSAGE",
                  "$disconnect": "DISCONNECT"}[route]
    event: dict[str, Any] = {"requestContext": {
        "routeKey": route, "eventType": event_type, "connectionId": connection_id,
        "domainName": DOMAIN, "stage": STAGE, "apiId": "abc123",
        "identity": {"sourceIp": "203.0.113.7"}}, "isBase64Encoded": False}
    if headers is not None:
        event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


def invoke(route: str, event: dict[str, Any]) -> dict[str, Any]:
    """Call the Lambda entry point API Gateway would call for `route` (`app.<name>`)."""
    import app

    name = app.app.websocket_handlers[route].handler_string.split(".")[-1]
    result: dict[str, Any] = getattr(app, name)(event, None)
    return result


class WsApp:
    """One app's WebSocket connection through the (fake or moto) gateway."""

    def __init__(self, hub: World, creds: IssuedCredentials) -> None:
        self.hub, self.creds = hub, creds
        self.connection_id = f"conn{next(_ids):04d}="

    def handshake_headers(self, *, query: str = "", skew: int = 0,
                          nonce: str | None = "") -> dict[str, str]:
        base = {"Host": DOMAIN, "X-Forwarded-Proto": "https",
                "Sec-WebSocket-Version": "13"}
        return sign("GET", f"https://{DOMAIN}/{STAGE}{query}", key_id=self.creds.access_key,
                    secret=self.creds.secret_key, created=self.hub.deps.clock.now() + skew,
                    nonce=nonce, headers=base)

    def connect(self, *, headers: dict[str, str] | None = None,
                query: dict[str, str] | None = None) -> dict[str, Any]:
        if headers is None:
            text = ("?" + urllib.parse.urlencode(sorted(query.items()))) if query else ""
            headers = self.handshake_headers(query=text)
        return invoke("$connect", ws_event("$connect", self.connection_id, headers=headers,
                                           query=query))

    def send(self, body: dict[str, Any] | str) -> dict[str, Any]:
        text = body if isinstance(body, str) else json.dumps(body)
        return invoke("$default", ws_event("$default", self.connection_id, body=text))

    def disconnect(self) -> dict[str, Any]:
        return invoke("$disconnect", ws_event("$disconnect", self.connection_id, headers={}))

    @property
    def frames(self) -> list[dict[str, Any]]:
        gateway = self.hub.deps.connections
        assert isinstance(gateway, FakeConnections)
        return gateway.frames[self.connection_id]

    def types(self) -> list[str]:
        return [f["type"] for f in self.frames]

    def last(self) -> dict[str, Any]:
        return self.frames[-1]
