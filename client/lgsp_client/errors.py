"""Errors the client raises. Each has a stable `code` and a human `message`, so the CLI
can print `error: <code>: <message>` for all of them alike."""

from __future__ import annotations


class LgspError(Exception):
    """Base of every error of this package."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ConfigError(LgspError):
    """Endpoint or credentials are missing or unreadable."""

    code = "config"


class UsageError(LgspError):
    """The command line asks for something that cannot mean anything, found after
    parsing (the CLI exits 2, as for argparse's own usage errors)."""

    code = "usage"


class LgspApiError(LgspError):
    """The hub answered with an error body, or could not be reached (`status` 0);
    `details`: the body's other fields naming what was wrong (`field`, `element`, ...)."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, object] | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.details = details or {}


class TransferError(LgspError):
    """An upload to or download from the exchange space failed (`status` 0: no answer;
    `store_code`: the store's own error code, e.g. `AccessDenied`, when it gave one)."""

    code = "transfer_failed"

    def __init__(self, message: str, *, status: int = 0, code: str | None = None,
                 store_code: str = "") -> None:
        super().__init__(message, code=code)
        self.status = status
        self.store_code = store_code


class ChecksumMismatchError(LgspError):
    """Downloaded bytes do not have the SHA-256 the hub announced."""

    code = "checksum_mismatch"

    def __init__(self, expected: str, actual: str, size: int) -> None:
        super().__init__(f"the downloaded content has SHA-256 {actual}; expected {expected}")
        self.expected = expected
        self.actual = actual
        self.size = size


def describe(exc: LgspError) -> str:
    """`<code>: <message>` as the CLI prints it, saying for a checksum mismatch that the
    hub was told and nothing was kept (so the user knows not to look for a file)."""
    if isinstance(exc, ChecksumMismatchError):
        return f"{exc.code}: {exc.message}; the hub was told, nothing was kept"
    return f"{exc.code}: {exc.message}"
