"""The hub on moto-backed DynamoDB and S3, driven through chalice's test client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters.objects_s3 import S3ObjectStore, ensure_bucket, make_s3_client
from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from chalicelib.services.auth_cache import AuthCache
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.hub import World, make_deps, world

BUCKET = "lgsp-exchange-test"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    """Settings a test module changes for its hub (override this fixture)."""
    return {}


@pytest.fixture
def hub(aws: None, clock: FakeClock, hub_overrides: dict[str, Any]) -> Iterator[World]:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    create_table(ddb, "lgsp")
    s3 = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                        secret_key=None, path_style=False)
    ensure_bucket(s3, BUCKET)
    deps = make_deps(DynamoTable(ddb, "lgsp"), S3ObjectStore(s3, BUCKET), clock,
                     **hub_overrides)
    yield from world(deps)


@pytest.fixture
def other_host(hub: World) -> Iterator[Deps]:
    """The same hub seen by another process: its own per-process cache
    (`services/auth_cache.py`); `tests.support.hub.on` says which answers the next call."""
    other = replace(hub.deps, auth_cache=AuthCache())
    yield other
    bootstrap.install(hub.deps)
