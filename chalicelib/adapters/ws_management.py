"""The WebSocket gateway's management API through boto3's `apigatewaymanagementapi`.

One client per endpoint: a connection is posted to at the endpoint of the gateway that
holds it (an API Gateway stage, or one local host process), as its record says. On AWS the
function's role signs the calls; a local gateway gets the configured key pair.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.domain.errors import ConnectionGoneError


class ManagementApi:
    def __init__(self, *, region: str, access_key: str | None = None,
                 secret_key: str | None = None) -> None:
        self._region = region
        self._credentials = ({"aws_access_key_id": access_key,
                              "aws_secret_access_key": secret_key}
                             if access_key and secret_key else {})
        self._clients: dict[str, Any] = {}
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
            self._client(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if _gone(exc):
                raise ConnectionGoneError(connection_id) from exc
            raise

    def close(self, endpoint: str, connection_id: str) -> None:
        try:
            self._client(endpoint).delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if not _gone(exc):
                raise


def _gone(exc: ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code == "GoneException" or status == 410
