"""Calls made for a person: `Authorization: Bearer <access token>` instead of a signature.

`LgspClient(..., person=tokens)` asks `tokens.access_token()` before each call (renewed by
then if it was about to expire) and, when the hub answers 401 `token_expired` anyway,
`tokens.renew(rejected)` once before trying again. `lgsp_client.sso_session.PersonTokens`
is the implementation the CLI uses; the token never appears in a `repr`.
"""

from __future__ import annotations

from typing import Protocol

import requests


class TokenSource(Protocol):
    """Hands out a person's current access token."""

    def access_token(self) -> str:
        """A token valid for at least a little while (renewed first if needed)."""
        ...

    def renew(self, rejected: str) -> str:
        """A new token after the hub refused `rejected` as expired."""
        ...


class BearerAuth(requests.auth.AuthBase):
    """Sets `Authorization: Bearer <token>` on one request; the token stays out of reprs."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "BearerAuth(<token>)"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r
