"""Readiness (R-COMP-2, R-PROP-6): `GET /v1/health/ready` reads the table and the store
once each, unsigned, so a load balancer sends traffic only to hub processes that reach
both; liveness (`/v1/health`) stays 200 either way."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.support.hub import World


def get(hub: World, path: str) -> Any:
    return hub.client.http.get(path)


def test_a_process_that_reaches_both_is_ready(hub: World) -> None:
    answer = get(hub, "/v1/health/ready")
    assert answer.status_code == 200
    assert answer.json_body == {"status": "ready", "version": hub.deps.settings.version,
                                "table": "ok", "store": "ok"}


@pytest.mark.parametrize("part", ["table", "store"])
def test_a_process_that_cannot_reach_one_is_not_ready_and_says_which(
        hub: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        part: str) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise OSError("connection to server at 10.0.0.5, port 5432 failed: refused")

    monkeypatch.setattr(hub.deps.table if part == "table" else hub.deps.objects,
                        "get" if part == "table" else "head", down)
    with caplog.at_level(logging.WARNING, logger="lgsp.health"):
        answer = get(hub, "/v1/health/ready")
    assert answer.status_code == 503
    error = answer.json_body["error"]
    assert error["code"] == "not_ready" and f"the {part}" in error["message"]
    assert "10.0.0.5" not in error["message"]  # the cause is for the log, not the caller
    assert any("10.0.0.5" in r.getMessage() for r in caplog.records)
    assert get(hub, "/v1/health").status_code == 200
