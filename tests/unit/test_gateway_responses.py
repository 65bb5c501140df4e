"""What API Gateway answers by itself (unknown paths, throttling, timeouts, oversized
requests, its own 4xx/5xx) has the project's error shape and a stable code, as set in
infra/aws/resources.yaml on the REST API chalice creates (`RestAPI`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.cfn import gateway_responses

# API Gateway's own message is substituted already quoted; quotes inside must stay valid.
CONTEXT = {"$context.error.messageString": json.dumps('Missing "Authentication" Token'),
           "$context.requestId": "5f1e7a2c-0b1d-4c8e-9f00-123456789abc"}


def rendered(response: dict[str, Any]) -> dict[str, Any]:
    text = response["ResponseTemplates"]["application/json"]
    for placeholder, value in CONTEXT.items():
        text = text.replace(placeholder, value)
    assert "$context" not in text, text
    body: dict[str, Any] = json.loads(text)
    return body


@pytest.mark.parametrize("kind", sorted(gateway_responses()))
def test_each_answer_is_json_of_the_projects_shape(kind: str) -> None:
    body = rendered(gateway_responses()[kind])
    assert set(body) == {"error"}
    error = body["error"]
    assert re.fullmatch(r"[a-z][a-z_]+", error["code"])
    assert isinstance(error["message"], str) and len(error["message"]) > 20
    assert "  " not in error["message"] and "\n" not in error["message"]
    assert error["request_id"] == CONTEXT["$context.requestId"]
    if "gateway_message" in error:
        assert error["gateway_message"] == 'Missing "Authentication" Token'


def test_the_answers_and_their_codes() -> None:
    answers = {kind: (str(r.get("StatusCode", "")), rendered(r)["error"]["code"])
               for kind, r in gateway_responses().items()}
    assert answers["MISSING_AUTHENTICATION_TOKEN"] == ("404", "route_not_found")
    assert answers["REQUEST_TOO_LARGE"] == ("413", "request_too_large")
    assert answers["THROTTLED"] == ("429", "throttled")
    assert answers["INTEGRATION_TIMEOUT"] == ("504", "gateway_timeout")
    # The catch-alls keep the status API Gateway chose.
    assert answers["DEFAULT_4XX"] == ("", "request_refused")
    assert answers["DEFAULT_5XX"] == ("", "gateway_error")
