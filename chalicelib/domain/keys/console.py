"""Table keys of the web console (docs/console.md), part of `chalicelib.domain.keys`:
import them from there (`keys.console_session(...)`), like every other key."""

from __future__ import annotations

META = "META"


def console_session(session_hash: str) -> tuple[str, str]:
    """A person's console session, keyed by the SHA-256 of its cookie's secret."""
    return f"CONSOLE#{session_hash}", META


def console_login(state_hash: str) -> tuple[str, str]:
    """A login on its way through the SSO: the PKCE verifier and where to go after."""
    return f"CONSOLELOGIN#{state_hash}", META
