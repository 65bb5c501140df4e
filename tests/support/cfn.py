"""infra/aws/resources.yaml as data, for tests that check what it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

RESOURCES = Path(__file__).resolve().parents[2] / "infra" / "aws" / "resources.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads the short-form intrinsics (!Ref, !Sub, !GetAtt) as their plain values."""


_CloudFormationLoader.add_multi_constructor(
    "!", lambda loader, _suffix, node: loader.construct_scalar(node)
    if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node))


def resources() -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(RESOURCES.read_text(),  # noqa: S506
                                         Loader=_CloudFormationLoader)
    return template


def gateway_responses() -> dict[str, Any]:
    """API Gateway's own answers, set on the REST API chalice creates (`RestAPI`)."""
    responses: dict[str, Any] = resources()["Resources"]["RestAPI"]["Properties"][
        "GatewayResponses"]
    return responses
