"""The `bootstrap` Lambda function: the deployment's first operator, on AWS, where nobody
holds the table locally (invoked once with `aws lambda invoke`; see docs/deploy.md).

Its answer is the event's result, never a log line: the secret is in the answer only.
A refusal is the project's error shape, `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from chalicelib.bootstrap import deps
from chalicelib.domain.errors import LgspError
from chalicelib.domain.operator_schemas import BootstrapOperator
from chalicelib.services import operators

log = logging.getLogger("lgsp.bootstrap")


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def handle_bootstrap(event: Any) -> dict[str, Any]:
    try:
        body = BootstrapOperator.model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        return _refusal("validation_failed", f"{where}: {first['msg']} (expected "
                        f'{{"unit": "000.00.00.H30", "name": "...", "app_name"?: "..."}})')
    try:
        creds = operators.bootstrap_operator(deps(), body)
    except LgspError as err:
        log.warning("bootstrap refused: %s", err.code)
        return _refusal(err.code, err.message)
    log.info("bootstrap: operator unit %s, app %s, key %s", creds.unit, creds.app,
             creds.access_key)
    return creds.model_dump()
