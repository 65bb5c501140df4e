"""New signing secrets for webhook endpoints (`domain/webhook_signing.py`).

The randomness is a parameter (the operating system's by default), so tests can give
fixed bytes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from chalicelib.domain.webhook_signing import secret_from_key

KEY_BYTES = 32  # 256 bits: within the scheme's 24-64 bytes, HMAC-SHA256's block half


def new_secret(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh `whsec_<base64>` secret, shown once to the endpoint's owner."""
    return secret_from_key(random_bytes(KEY_BYTES))
