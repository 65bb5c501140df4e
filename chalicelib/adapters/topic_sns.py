"""Events on an SNS topic, with message attributes for subscription filter policies
(`recipient`, `type`, `priority`)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.domain.events import as_dict
from chalicelib.domain.ports import Event


def make_sns_client(*, region: str, endpoint_url: str | None) -> Any:
    return boto3.client("sns", region_name=region, endpoint_url=endpoint_url,
                        config=Config(retries={"mode": "standard", "max_attempts": 3}))


class SnsTopic:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._arn = topic_arn

    def publish(self, event: Event) -> None:
        self._client.publish(
            TopicArn=self._arn, Message=json.dumps(as_dict(event)),
            MessageAttributes=attributes(event))


def attributes(event: Event) -> dict[str, Any]:
    """Attributes for subscription filter policies; presence events have no priority."""
    attrs = {"recipient": event.recipient, "type": event.type, "priority": event.priority}
    return {name: {"DataType": "String", "StringValue": value}
            for name, value in attrs.items() if value is not None}
