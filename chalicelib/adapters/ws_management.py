"""The WebSocket gateway's management API through boto3's `apigatewaymanagementapi`.

One client per endpoint: a connection is posted to at the endpoint of the gateway that
holds it (an API Gateway stage, or one local host process), as its record says. On AWS the
function's role signs the calls; a local gateway gets the configured key pair.

An endpoint that cannot be reached (a host process that died: its connections' records
stay until the sweeper drops them) is not tried again for `DOWN_SECONDS`: a push to each
of its connections then fails at once instead of waiting out a connect timeout in the
request that made the event.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError as EndpointUnreachable

from chalicelib.domain.errors import ConnectionGoneError

DOWN_SECONDS = 30.0


class EndpointDownError(Exception):
    """The endpoint could not be reached a moment ago: not tried again yet."""


class ManagementApi:
    def __init__(self, *, region: str, access_key: str | None = None,
                 secret_key: str | None = None) -> None:
        self._region = region
        self._credentials = ({"aws_access_key_id": access_key,
                              "aws_secret_access_key": secret_key}
                             if access_key and secret_key else {})
        self._clients: dict[str, Any] = {}
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _client(self, endpoint: str) -> Any:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                client = boto3.client(
                    "apigatewaymanagementapi", endpoint_url=endpoint,
                    region_name=self._region, **self._credentials,
                    config=Config(retries={"mode": "standard", "max_attempts": 2},
                                  connect_timeout=3, read_timeout=10))
                self._clients[endpoint] = client
            return client

    def post(self, endpoint: str, connection_id: str, data: bytes) -> None:
        try:
            self._reachable(endpoint).post_to_connection(ConnectionId=connection_id,
                                                         Data=data)
        except ClientError as exc:
            if _gone(exc):
                raise ConnectionGoneError(connection_id) from exc
            raise
        except EndpointUnreachable:
            self._mark_down(endpoint)
            raise

    def close(self, endpoint: str, connection_id: str) -> None:
        try:
            self._reachable(endpoint).delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if not _gone(exc):
                raise
        except EndpointUnreachable:
            self._mark_down(endpoint)
            raise

    def _reachable(self, endpoint: str) -> Any:
        with self._lock:
            down_until = self._down_until.get(endpoint, 0.0)
        if time.monotonic() < down_until:
            raise EndpointDownError(endpoint)
        return self._client(endpoint)

    def _mark_down(self, endpoint: str) -> None:
        with self._lock:
            self._down_until[endpoint] = time.monotonic() + DOWN_SECONDS


def _gone(exc: ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code == "GoneException" or status == 410
