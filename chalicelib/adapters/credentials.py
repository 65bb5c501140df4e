"""People's credentials: Argon2id password hashes (argon2-cffi), TOTP codes (pyotp,
RFC 6238), and random secrets kept only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id, 64 MiB,
# t=3, p=4); a login costs ~50 ms of CPU, which also slows guessing.
_hasher = PasswordHasher()
# Verified when the account does not exist, so a wrong account name costs the same time
# as a wrong password and the answer's timing tells nothing.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))
OTP_STEP = 30


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_counter(secret: str, code: str, now: int) -> int | None:
    """The time step `code` is valid for (the current one or the one either side, for
    clocks a little apart), or None. The caller refuses a step used before (replay)."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        at = now + offset * OTP_STEP
        if secrets.compare_digest(totp.at(at), code):
            return at // OTP_STEP
    return None


def totp_now(secret: str, now: int) -> str:
    """The code of `now` (tests and the CLI's bootstrap only)."""
    return pyotp.TOTP(secret).at(now)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """What is stored of a high-entropy secret (codes, tokens, links, cookies)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
