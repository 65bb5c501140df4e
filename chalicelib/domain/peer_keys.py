"""The public key a peer hub signs with (RFC 9421 with an asymmetric key, issue 15): a
JWK (RFC 7517) of an Ed25519 (RFC 8037: `kty` OKP, `crv` Ed25519, `x`), ECDSA P-256
(`kty` EC, `crv` P-256, `x`, `y`) or RSA (`kty` RSA, `n`, `e`, at least 2048 bits: what
another LGSP publishes, its hub keys) public key. Pure: the key is decoded and checked
with `cryptography` (an EC point must lie on the curve), never fetched.

Each kind of key implies its one RFC 9421 algorithm (`algorithm_of`): `ed25519`,
`ecdsa-p256-sha256`, `rsa-pss-sha512`. A signature naming another is refused, so a key
cannot be downgraded to a weaker algorithm (RSA PKCS#1 v1.5, or an HMAC over the public
key's bytes).

A private key given by mistake (`d`, or RSA's private members) is refused, never stored:
the message says so, since whoever sent it should treat it as exposed.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .algorithm_ids import MIN_RSA_BITS, RSA_PSS_SHA512
from .errors import InvalidRequestError

FIELD = "public_jwk"
ED25519, ECDSA_P256_SHA256 = "ed25519", "ecdsa-p256-sha256"
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "k")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_KID = re.compile(r"^[\x21-\x7e]{1,128}$")


def _refuse(why: str) -> InvalidRequestError:
    return InvalidRequestError(f"{FIELD}: {why}", code="invalid_peer_key", field=FIELD)


def _bytes(jwk: dict[str, Any], name: str, size: int | None = None) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not _B64URL.match(value):
        raise _refuse(f"'{name}' must be base64url text (no padding).")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _refuse(f"'{name}' is not base64url.") from exc
    if size is not None and len(raw) != size:
        raise _refuse(f"'{name}' must decode to {size} bytes, not {len(raw)}.")
    return raw


def public_jwk(jwk: object) -> dict[str, str]:
    """The peer's public key, checked and reduced to its public members (`kty`, `crv`,
    `x`, `y` for EC, `n`, `e` for RSA, and `kid` if given). 400 `invalid_peer_key`
    otherwise."""
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
    elif kty == "RSA":
        _rsa_key(jwk)
        kept = {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}
    else:
        raise _refuse(f"kty '{kty}' with crv '{crv}' is not accepted: an Ed25519 key "
                      "(kty OKP, crv Ed25519), an ECDSA P-256 key (kty EC, crv P-256) or "
                      f"an RSA key (kty RSA) of at least {MIN_RSA_BITS} bits.")
    kid = jwk.get("kid")
    if kid is not None:
        if not isinstance(kid, str) or not _KID.match(kid):
            raise _refuse("'kid' must be 1-128 printable characters.")
        kept["kid"] = kid
    return kept


def _rsa_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(_bytes(jwk, "n"), "big")
    e = int.from_bytes(_bytes(jwk, "e"), "big")
    if n.bit_length() < MIN_RSA_BITS:
        raise _refuse(f"an RSA key must have at least {MIN_RSA_BITS} bits, not "
                      f"{n.bit_length()}.")
    try:
        return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise _refuse("'e' is not a usable RSA public exponent.") from exc


def algorithm_of(jwk: dict[str, Any]) -> str:
    """The one RFC 9421 algorithm a checked key (`public_jwk`) signs with."""
    return {"OKP": ED25519, "EC": ECDSA_P256_SHA256, "RSA": RSA_PSS_SHA512}[jwk["kty"]]


def public_pem(jwk: dict[str, Any]) -> bytes:
    """A checked JWK (`public_jwk`) as PEM (SubjectPublicKeyInfo), as signers load it."""
    return _public_key(jwk).public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_key(jwk: dict[str, Any]) -> PublicKey:
    if jwk["kty"] == "OKP":
        return ed25519.Ed25519PublicKey.from_public_bytes(_bytes(jwk, "x", 32))
    if jwk["kty"] == "EC":
        x, y = _bytes(jwk, "x", 32), _bytes(jwk, "y", 32)
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                             ec.SECP256R1()).public_key()
    return _rsa_key(jwk)
