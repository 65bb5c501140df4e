"""The real hub for CLI tests: the chalice app on moto's table and store, behind a loopback
HTTP bridge the `lgsp` CLI is pointed at (`LGSP_ENDPOINT`), so a command's calls are the
hub's own answers, not a fake's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from tests.client.server import Received, Reply, Server, serve
from tests.support.fakes import FakeClock
from tests.support.hub import SignedClient, World, make_deps, world


@contextmanager
def bridged_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bucket: str,
                **overrides: Any) -> Iterator[tuple[World, Server]]:
    """The hub (its clock the real time: the CLI signs with it) and the bridge's server;
    no profile, algorithm or key file of the machine leaks in."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "LGSP_CREDENTIALS_FILE": str(tmp_path / "no-profiles")}.items():
        monkeypatch.setenv(name, value)
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_table(ddb, "lgsp")
        s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                            secret_key=None, path_style=False)
        ensure_bucket(s3, bucket)
        deps = make_deps(DynamoTable(ddb, "lgsp"), S3ObjectStore(s3, bucket),
                         FakeClock(int(time.time())), **overrides)
        worlds = world(deps)
        hub = next(worlds)

        def bridge(req: Received) -> Reply:
            res = hub.client.http.request(req.method, req.path, headers=req.headers,
                                          body=req.body)
            return Reply(res.status_code, res.body or b"", dict(res.headers))

        try:
            with serve(bridge) as server:
                monkeypatch.setenv("LGSP_ENDPOINT", server.url)
                yield hub, server
        finally:
            worlds.close()


def as_app(monkeypatch: pytest.MonkeyPatch, client: SignedClient) -> None:
    """The CLI speaks as this app from now on."""
    monkeypatch.setenv("LGSP_ACCESS_KEY", client.creds.access_key)
    monkeypatch.setenv("LGSP_SECRET_KEY", str(client.creds.secret_key))
