"""The public key a peer hub signs with (RFC 9421 with an asymmetric key, issue 15): a
JWK (RFC 7517) of an Ed25519 (RFC 8037: `kty` OKP, `crv` Ed25519, `x`) or ECDSA P-256
(`kty` EC, `crv` P-256, `x`, `y`) public key. Pure: the key is decoded and checked with
`cryptography` (an EC point must lie on the curve), never fetched.

A private key given by mistake (`d`, or RSA's private members) is refused, never stored:
the message says so, since whoever sent it should treat it as exposed.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .errors import InvalidRequestError

FIELD = "public_jwk"
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "k")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_KID = re.compile(r"^[\x21-\x7e]{1,128}$")


def _refuse(why: str) -> InvalidRequestError:
    return InvalidRequestError(f"{FIELD}: {why}", code="invalid_peer_key", field=FIELD)


def _bytes(jwk: dict[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not _B64URL.match(value):
        raise _refuse(f"'{name}' must be base64url text (no padding).")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _refuse(f"'{name}' is not base64url.") from exc
    if len(raw) != size:
        raise _refuse(f"'{name}' must decode to {size} bytes, not {len(raw)}.")
    return raw


def public_jwk(jwk: object) -> dict[str, str]:
    """The peer's public key, checked and reduced to its public members (`kty`, `crv`,
    `x`, `y` for EC, and `kid` if given). 400 `invalid_peer_key` otherwise."""
    if not isinstance(jwk, dict):
        raise _refuse("a JWK is a JSON object.")
    private = [name for name in _PRIVATE if name in jwk]
    if private:
        raise _refuse(f"this is a private key (it has '{private[0]}'): give the public "
                      "part only, and treat the private key as exposed.")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    kept: dict[str, str] = {}
    if kty == "OKP" and crv == "Ed25519":
        x = _bytes(jwk, "x", 32)
        ed25519.Ed25519PublicKey.from_public_bytes(x)
        kept = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}
    elif kty == "EC" and crv == "P-256":
        x, y = _bytes(jwk, "x", 32), _bytes(jwk, "y", 32)
        try:
            ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                          ec.SECP256R1()).public_key()
        except ValueError as exc:
            raise _refuse("the point (x, y) is not on the P-256 curve.") from exc
        kept = {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}
    else:
        raise _refuse(f"kty '{kty}' with crv '{crv}' is not accepted: an Ed25519 key "
                      "(kty OKP, crv Ed25519) or an ECDSA P-256 key (kty EC, crv P-256).")
    kid = jwk.get("kid")
    if kid is not None:
        if not isinstance(kid, str) or not _KID.match(kid):
            raise _refuse("'kid' must be 1-128 printable characters.")
        kept["kid"] = kid
    return kept
