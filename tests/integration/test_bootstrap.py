"""The wiring the Lambda functions use: DynamoDB + S3 adapters built from the settings."""

from __future__ import annotations

import base64

import boto3
import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from chalicelib.adapters.table_retry import RetryingTable
from chalicelib.bootstrap import build
from chalicelib.config import Settings


def test_build_wires_dynamodb_and_s3_from_settings(aws: None) -> None:
    create_table(boto3.client("dynamodb", region_name="us-east-1"), "lgsp-dev-table")
    deps = build(Settings(table_backend="dynamodb", table_name="lgsp-dev-table",
                          aws_region="us-east-1", bucket="b", s3_region="us-east-1",
                          master_key=base64.b64encode(b"m" * 32).decode()))
    # DynamoDB's contended writes are retried (adapters/table_retry.py)
    assert isinstance(deps.table, RetryingTable) and isinstance(deps.table.inner, DynamoTable)
    assert isinstance(deps.objects, S3ObjectStore)
    deps.table.put({"pk": "UNIT#x", "sk": "META", "n": 1})
    assert deps.table.get("UNIT#x", "META") == {"pk": "UNIT#x", "sk": "META", "n": 1}


def test_build_refuses_to_start_without_a_master_key(aws: None) -> None:
    with pytest.raises(RuntimeError, match="LGSP_MASTER_KEY"):
        build(Settings(table_backend="dynamodb", aws_region="us-east-1"))


def test_settings_come_from_lgsp_variables() -> None:
    cfg = Settings.from_env({"LGSP_TABLE_NAME": "t", "LGSP_S3_PATH_STYLE": "true",
                             "LGSP_SINGLE_UPLOAD_MAX_BYTES": "1024", "OTHER": "x"})
    assert (cfg.table_name, cfg.s3_path_style, cfg.single_upload_max_bytes) == ("t", True, 1024)
