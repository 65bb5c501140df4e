"""Pushes to a host process that died (R-PROP-6): its connections' records stay until the
sweeper drops them, and each push to one of them must not hold the request that made the
event for a connect timeout. After one failure to reach an endpoint, the management API
client does not try that endpoint again for a while; other endpoints are unaffected."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from botocore.exceptions import ConnectionError as EndpointUnreachable

from chalicelib.adapters.ws_management import EndpointDownError, ManagementApi


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once closed


class Counting(ManagementApi):
    def __init__(self) -> None:
        super().__init__(region="ap-southeast-1", access_key="LGSPWSTEST", secret_key="s")
        self.reached: list[str] = []

    def _client(self, endpoint: str) -> Any:
        self.reached.append(endpoint)
        return super()._client(endpoint)


def test_an_unreachable_endpoint_is_not_tried_again_at_once() -> None:
    api = Counting()
    dead, other = (f"http://127.0.0.1:{closed_port()}/ws" for _ in range(2))
    with pytest.raises(EndpointUnreachable):
        api.post(dead, "conn-1", b"{}")
    with pytest.raises(EndpointDownError):
        api.post(dead, "conn-2", b"{}")
    with pytest.raises(EndpointDownError):
        api.close(dead, "conn-2")
    assert api.reached == [dead]  # the second and third calls never went out
    with pytest.raises(EndpointUnreachable):
        api.post(other, "conn-3", b"{}")  # another endpoint is still tried
    assert api.reached == [dead, other]
