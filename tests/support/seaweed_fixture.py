"""Pytest plugin: one real SeaweedFS for the session (`seaweed`) and a fresh bucket with its
`S3ObjectStore` per test (`s3_store`).

Register with `pytest_plugins = ["tests.support.seaweed_fixture"]` in tests/conftest.py.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from infra.local.processes import free_ports
from infra.local.seaweed import SeaweedServer


@dataclass(frozen=True)
class SeaweedEndpoint:
    """Where the session's SeaweedFS answers, and the only credentials it accepts."""

    endpoint_url: str
    access_key: str
    secret_key: str
    data_dir: Path
    region: str = "us-east-1"

    def client(self, *, secret_key: str | None = None) -> Any:
        """A boto3 S3 client for this server (optionally with another secret)."""
        return make_s3_client(endpoint_url=self.endpoint_url, region=self.region,
                              access_key=self.access_key,
                              secret_key=self.secret_key if secret_key is None else secret_key,
                              path_style=True)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedEndpoint]:
    """SeaweedFS on a free loopback port with generated credentials, for the session."""
    data_dir = tmp_path_factory.mktemp("seaweed")
    server = SeaweedServer(data_dir, s3_port=free_ports(1)[0],
                           access_key="LGSPTEST" + secrets.token_hex(6).upper(),
                           secret_key=secrets.token_urlsafe(30))
    server.start()
    try:
        yield SeaweedEndpoint(server.endpoint_url, server.access_key, server.secret_key,
                              data_dir)
    finally:
        server.stop(timeout=5)  # the data is thrown away: no need for the ~16 s clean exit


def _drop_bucket(client: Any, bucket: str) -> None:
    """Abort open uploads, delete every object, then the bucket."""
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_store(seaweed: SeaweedEndpoint) -> Iterator[S3ObjectStore]:
    """An `S3ObjectStore` on a new bucket of the session's SeaweedFS, removed afterwards."""
    client = seaweed.client()
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    ensure_bucket(client, bucket)
    yield S3ObjectStore(client, bucket)
    _drop_bucket(client, bucket)
