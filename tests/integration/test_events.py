"""Events of the exchange (R-SEND-4/5, R-COMP-5): who is told what, on the local topic and
on SNS with filter policies; never content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import boto3

from chalicelib import bootstrap
from chalicelib.adapters.topic_local import LocalTopic
from chalicelib.adapters.topic_sns import SnsTopic
from chalicelib.domain.ports import Event
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World


def recorded(hub: World) -> list[Event]:
    seen: list[Event] = []
    assert isinstance(hub.deps.topic, LocalTopic)
    hub.deps.topic.subscribe(seen.append)
    return seen


def test_destinations_are_told_of_arrivals_and_the_source_of_outcomes(hub: World) -> None:
    seen = recorded(hub)
    data = b"report"
    message_id = send(hub, data, [UNIT_B, UNIT_C], priority="hoa_toc")
    assert [(e.type, e.recipient) for e in seen] == [
        ("message.available", UNIT_B), ("message.available", UNIT_C)]
    assert all(e.priority == "hoa_toc" and e.message_id == message_id for e in seen)
    seen.clear()
    receive(hub.b, message_id)
    hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": "0" * 64})
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    hub.c.post(f"/v1/messages/{message_id}/reject", {"reason": "không đúng thẩm quyền"})
    assert [(e.type, e.recipient, e.data.get("destination")) for e in seen] == [
        ("message.fetched", UNIT_A, UNIT_B), ("message.fetch_failed", UNIT_A, UNIT_B),
        ("message.confirmed", UNIT_A, UNIT_B), ("message.rejected", UNIT_A, UNIT_C)]


def test_the_source_is_told_only_what_its_policy_asks(hub: World) -> None:
    seen = recorded(hub)
    data = b"quiet"
    message_id = send(hub, data, [UNIT_B], policy={"notify_on": ["rejected"]})
    receive(hub.b, message_id)
    hub.b.post(f"/v1/messages/{message_id}/confirm",
               {"sha256": hashlib.sha256(data).hexdigest()})
    assert [e.type for e in seen] == ["message.available"]


def test_events_carry_no_content(hub: World) -> None:
    seen = recorded(hub)
    send(hub, b"secret body", [UNIT_B], title="Tờ trình mật số 7")
    text = json.dumps([e.data for e in seen], ensure_ascii=False)
    for leaked in ("Tờ trình", "công-văn.pdf", "secret body"):
        assert leaked not in text


def _queue_for(sqs: Any, sns: Any, topic_arn: str, unit: str) -> str:
    url = sqs.create_queue(QueueName=f"to-{unit.replace('.', '-')}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
        "FilterPolicy": json.dumps({"recipient": [unit]}), "RawMessageDelivery": "true"})
    return str(url)


def test_sns_subscribers_filter_by_recipient(hub: World) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic_arn = sns.create_topic(Name="lgsp-events")["TopicArn"]
    to_b, to_c = (_queue_for(sqs, sns, topic_arn, u) for u in (UNIT_B, UNIT_C))
    bootstrap.install(replace(hub.deps, topic=SnsTopic(sns, topic_arn)))
    message_id = send(hub, b"x", [UNIT_B], priority="khan")
    got = sqs.receive_message(QueueUrl=to_b, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["type"] for m in got] == ["message.available"]
    body = json.loads(got[0]["Body"])
    assert (body["message_id"], body["recipient"], body["priority"]) == (
        message_id, UNIT_B, "khan")
    assert sqs.receive_message(QueueUrl=to_c).get("Messages", []) == []
    bootstrap.install(hub.deps)
