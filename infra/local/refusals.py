"""Why a host does not start: each refusal says what to do, and the host prints it as one
line instead of a traceback."""

from __future__ import annotations


class StartRefused(RuntimeError):
    """The host cannot start as configured; the message says what to do."""
