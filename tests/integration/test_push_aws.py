"""The cloud path of a push (R-COMP-5): an event published on SNS reaches the `on_event`
function, which posts it through the API Gateway management API (both moto)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib import bootstrap
from chalicelib.adapters.topic_sns import SnsTopic
from chalicelib.adapters.ws_management import ManagementApi
from chalicelib.domain import events
from chalicelib.domain.ports import Event
from tests.integration.test_exchange_flow import send
from tests.support.hub import UNIT_A, UNIT_B, World
from tests.support.ws import WsApp


def posted(connection_id: str) -> list[dict[str, Any]]:
    """Frames moto's gateway received for a connection (it concatenates their bytes)."""
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    raw = backend.connections[urllib.parse.quote(connection_id, safe="")].data  # ids URL-encoded
    text, frames, decoder = raw.decode(), [], json.JSONDecoder()
    while text:
        frame, end = decoder.raw_decode(text)
        frames.append(frame)
        text = text[end:]
    return frames


@pytest.fixture
def cloud(hub: World) -> Iterator[tuple[World, Any, str]]:
    """The hub with SNS as its topic and moto's management API as its gateway; the test
    plays the SNS → function hop by reading a subscribed queue."""
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic_arn = sns.create_topic(Name="lgsp-events")["TopicArn"]
    queue = sqs.create_queue(QueueName="on-event")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    deps = replace(hub.deps, topic=SnsTopic(sns, topic_arn),
                   connections=ManagementApi(region="us-east-1"))
    bootstrap.install(deps)
    yield replace(hub, deps=deps), sqs, queue
    bootstrap.install(hub.deps)


def sns_records(sqs: Any, queue: str) -> dict[str, Any]:
    """What SNS would hand the subscribed function: one record per published event."""
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": m["Body"]}}
                        for m in got]}


def test_an_event_on_sns_is_pushed_through_the_management_api(
        cloud: tuple[World, Any, str]) -> None:
    hub, sqs, queue = cloud
    dest = WsApp(hub, hub.b.creds)
    assert dest.connect() == {"statusCode": 200}
    sns_records(sqs, queue)  # drop the unit.online event
    message_id = send(hub, b"x", [UNIT_B], priority="khan")
    batch = sns_records(sqs, queue)
    assert [json.loads(r["Sns"]["Message"])["type"] for r in batch["Records"]] == [
        "message.available"]
    from app import app

    with Client(app) as client:
        result = client.lambda_.invoke("on_event", batch)
    assert result.payload == {"frames": 1}
    frame = posted(dest.connection_id)[-1]
    assert (frame["type"], frame["message_id"], frame["recipient"]) == (
        "message.available", message_id, UNIT_B)


def test_events_delivered_together_go_out_most_urgent_first(
        cloud: tuple[World, Any, str]) -> None:
    hub, _, _ = cloud
    dest = WsApp(hub, hub.b.creds)
    assert dest.connect() == {"statusCode": 200}
    batch = [Event("message.available", UNIT_B, f"m{i}", priority, 1000 + i,
                   {"source": UNIT_A})
             for i, priority in enumerate(["thuong", "khan", "hoa_toc", "thuong_khan",
                                           "hoa_toc"])]
    records = {"Records": [{"Sns": {"Message": json.dumps(events.as_dict(e))}}
                           for e in batch]}
    from app import app

    with Client(app) as client:
        assert client.lambda_.invoke("on_event", records).payload == {"frames": 5}
    frames = [f for f in posted(dest.connection_id) if f["type"] == "message.available"]
    assert [f["message_id"] for f in frames] == ["m2", "m4", "m3", "m1", "m0"]


def test_the_sweeper_function_runs_on_its_schedule(cloud: tuple[World, Any, str]) -> None:
    from app import app

    with Client(app) as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled "
                                                "Event", detail={}, resources=[])
        result = client.lambda_.invoke("sweep", event)
    assert set(result.payload) == {"connections_dropped", "due_handled", "due_failed",
                                   "days_walked", "deliveries_handled", "counts_added"}
