"""The hub's token-signing crypto: RSA 2048 keys, their JWKs, RS256 JWTs (PyJWT)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"


def generate_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_jwk(private_pem: bytes, kid: str) -> dict[str, Any]:
    """The public half as a JWK (`kty`, `n`, `e`, `kid`, `alg`, `use`)."""
    private = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def sign(payload: dict[str, Any], private_pem: bytes, kid: str, *, typ: str | None = None
         ) -> str:
    headers = {"kid": kid, **({"typ": typ} if typ else {})}
    return jwt.encode(payload, private_pem, algorithm=ALGORITHM, headers=headers)


def unverified_header(token: str) -> dict[str, Any]:
    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.PyJWTError:
        return {}


def unverified_kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


def verify(token: str, find_jwk: Callable[[str], dict[str, Any] | None]
           ) -> dict[str, Any] | None:
    """The payload if the RS256 signature verifies under the hub key named by `kid`.
    Times, issuer and audience are the caller's checks (injected clock)."""
    kid = unverified_kid(token)
    jwk = find_jwk(kid) if kid else None
    if jwk is None:
        return None
    try:
        key = RSAAlgorithm.from_jwk(jwk)
        payload: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM],  # type: ignore[arg-type]
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "verify_aud": False, "verify_iss": False})
    except (jwt.PyJWTError, ValueError):
        return None
    return payload
