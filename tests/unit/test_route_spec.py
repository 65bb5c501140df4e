"""What a route declares about its answer is checked when it is declared."""

from __future__ import annotations

import pytest

from chalicelib.api.http import RouteSpec
from chalicelib.domain.schemas import Health


def test_a_file_answer_has_no_model_and_a_json_answer_has_one() -> None:
    with pytest.raises(ValueError, match="file answer"):
        RouteSpec("GET", "/v1/file", "A file", Health, media_type="application/pdf")
    with pytest.raises(ValueError, match="JSON answer"):
        RouteSpec("GET", "/v1/doc", "A document", None)
