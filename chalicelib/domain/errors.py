"""Domain errors. Each carries a stable machine-readable `code`, a human `message` and the
HTTP status the API renders it with, as `{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

from typing import Any


class LgspError(Exception):
    """Base of every error the API turns into a 4xx answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidRequestError(LgspError):
    status = 400
    code = "invalid_request"


class AuthenticationError(LgspError):
    """The caller could not be authenticated. Details stay vague on purpose."""

    status = 401
    code = "signature_invalid"


class ForbiddenError(LgspError):
    status = 403
    code = "forbidden"


class NotFoundError(LgspError):
    """Also used for objects that exist but belong to someone else (never 403)."""

    status = 404
    code = "not_found"


class ConflictError(LgspError):
    status = 409
    code = "conflict"


class PayloadTooLargeError(LgspError):
    status = 413
    code = "content_too_large"


class ContentMismatchError(LgspError):
    """Bytes did not match what was declared (length or SHA-256)."""

    status = 422
    code = "checksum_mismatch"


class UnprocessableError(LgspError):
    """Well-formed input whose content cannot be accepted (e.g. an import with bad rows)."""

    status = 422
    code = "unprocessable"


class BusyError(LgspError):
    """The hub met more contention than its retries absorbed; nothing was written and the
    same request may be sent again."""

    status = 503
    code = "busy"


class NotReadyError(LgspError):
    """This process cannot reach the table or the store: a load balancer sends the
    traffic elsewhere until it can (`GET /v1/health/ready`)."""

    status = 503
    code = "not_ready"


class ConditionFailedError(Exception):
    """A table write's condition did not hold (raised by table adapters)."""


class TransactionConflictError(Exception):
    """A transaction was cancelled because a condition did not hold; `reasons` has one
    entry per op (`"ConditionalCheckFailed"`, or '' for the ops that were fine)."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []


class ContentionError(Exception):
    """A write met a concurrent transaction on one of its items (DynamoDB cancels both
    sides' transactions then, whatever their conditions) or the table throttled it.
    Nothing was written: the same write may simply be tried again (`RetryingTable` does)."""


class SchemaVersionError(Exception):
    """The table's schema is at a version newer than this host's code knows (another host
    was upgraded first): this host refuses to run on it rather than write data in an older
    shape. Raised when a table adapter opens."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(
            f"The table {where} is at schema version {found}, newer than version {known}, "
            f"the latest this host knows: upgrade this host to a release that knows "
            f"schema version {found} before starting it.")
        self.found = found
        self.known = known


class ConnectionGoneError(Exception):
    """A WebSocket connection no longer exists at its gateway (raised by adapters)."""
