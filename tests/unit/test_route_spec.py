"""What a route declares about retries and answers is checked when it is declared."""

from __future__ import annotations

import pytest

import app  # noqa: F401 (declares every route)
from chalicelib.api.http import ROUTES, RouteSpec
from chalicelib.domain.schemas import Health


def test_a_route_that_may_not_be_safe_to_retry_must_say_what_to_check() -> None:
    with pytest.raises(ValueError, match="before_retry"):
        RouteSpec("POST", "/v1/things", "Make a thing", Health)
    with pytest.raises(ValueError, match="before_retry"):
        RouteSpec("GET", "/v1/things", "A counter that counts reads", Health, idempotent=False)
    assert RouteSpec("POST", "/v1/things", "Make a thing", Health, idempotent=True)


def test_a_file_answer_has_no_model_and_a_json_answer_has_one() -> None:
    with pytest.raises(ValueError, match="file answer"):
        RouteSpec("GET", "/v1/file", "A file", Health, media_type="application/pdf")
    with pytest.raises(ValueError, match="JSON answer"):
        RouteSpec("GET", "/v1/doc", "A document", None)


def test_safe_to_retry_by_method_declaration_and_header() -> None:
    by_route = {(s.method, s.path): s for s in ROUTES}
    assert by_route["GET", "/v1/inbox"].safe_to_retry({})
    assert by_route["DELETE", "/v1/keys/{key_id}"].safe_to_retry({})
    assert by_route["POST", "/v1/messages/{message_id}/confirm"].safe_to_retry({})
    assert not by_route["POST", "/v1/keys"].safe_to_retry({})
    send = by_route["POST", "/v1/messages"]
    assert not send.safe_to_retry({}) and not send.safe_to_retry({"idempotency-key": ""})
    assert send.safe_to_retry({"idempotency-key": "k-1"})
