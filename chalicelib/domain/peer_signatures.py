"""Signatures between hubs (issue 15, R-PROP-10, R-COMP-4): what a hub signs on a call to
a peer hub, and what it requires of a peer's call. Pure: the keys, the time and the nonce
are parameters; the services fetch keys and remember nonces.

A hub-to-hub call is signed per RFC 9421, like an app's call (`signatures.py`), but with
its own label, `lgsp-hub`, so neither kind of signature can pass for the other:

- label `lgsp-hub`, exactly one signature;
- covered: `@method`, `@target-uri`, `lgsp-hub`, and with a body `content-type` and
  `content-digest` (RFC 9530; we send `sha-512`, a peer may use `sha-256`);
- the header `lgsp-hub`: the calling hub's public base URL, which peer it claims to be;
- parameters: `created` (within the clock-skew window), `keyid` (a kid of the key the
  peer publishes), `nonce` (always required, single use), `alg` (if given, the key's).

The key implies the algorithm (`peer_keys.algorithm_of`): a signature naming another is
`algorithm_mismatch`, never verified with a weaker one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.digests import ContentDigest

from . import peer_keys
from .algorithm_ids import RSA_PSS_SHA512
from .errors import AuthenticationError
from .signatures import (
    OneKey,
    SignedRequest,
    check_nonce,
    check_time,
    signature_input,
    verify_signature,
)

LABEL = "lgsp-hub"
HUB_HEADER = "lgsp-hub"
_VERIFIERS: dict[str, type[algorithms.HTTPSignatureAlgorithm]] = {
    peer_keys.ED25519: algorithms.ED25519,
    peer_keys.ECDSA_P256_SHA256: algorithms.ECDSA_P256_SHA256,
    RSA_PSS_SHA512: algorithms.RSA_PSS_SHA512,
}


def canonical_url(url: str) -> str:
    """A hub's base URL as compared: surrounding spaces and a trailing `/` dropped, the
    scheme and host in lower case (they are case-insensitive; the path is not)."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def covered(*, body: bool) -> tuple[str, ...]:
    """The components a hub-to-hub call covers (with a body, `content-digest` too, which
    the signer adds with the digest)."""
    return ("@method", "@target-uri", HUB_HEADER, *(("content-type",) if body else ()))


class _Sha512Digest(ContentDigest):
    algorithm = "sha-512"


class _HubSigner(HTTPMessageSigner):
    content_digest_class = _Sha512Digest


@dataclass
class _Outgoing:
    method: str
    url: str
    headers: dict[str, str]


def sign(method: str, url: str, headers: dict[str, str], body: bytes | None, *,
         key_id: str, private_pem: bytes, created: int, nonce: str) -> dict[str, str]:
    """`headers` (which must hold `lgsp-hub`, and `content-type` with a body) plus the
    signature's (`Signature`, `Signature-Input`, and `Content-Digest` with a body),
    signed `rsa-pss-sha512` with the hub's RSA key."""
    return sign_as_hub(method, url, headers, body or None, label=LABEL,
                       components=covered(body=bool(body)), key_id=key_id,
                       private_pem=private_pem, created=created, nonce=nonce)


def sign_as_hub(method: str, url: str, headers: dict[str, str], body: bytes | None, *,
                label: str, components: tuple[str, ...], key_id: str, private_pem: bytes,
                created: int, nonce: str) -> dict[str, str]:
    """Any call the hub signs with its own key (`rsa-pss-sha512`), under `label`,
    covering `components` (and `content-digest`, sha-512, unless `body` is None: an empty
    body has a digest too)."""
    message = _Outgoing(method.upper(), url, dict(headers))
    signer = _HubSigner(signature_algorithm=algorithms.RSA_PSS_SHA512,
                        key_resolver=OneKey(private_pem))
    signer.sign(message, key_id=key_id, label=label, nonce=nonce, include_alg=True,
                created=datetime.datetime.fromtimestamp(created, datetime.UTC),
                covered_component_ids=components, body=body)
    return message.headers


@dataclass(frozen=True)
class Claim:
    """Who a call says it comes from, read before anything is verified."""

    hub_url: str  # canonical (`canonical_url`)
    key_id: str
    components: tuple[str, ...]
    params: dict[str, Any]


@dataclass(frozen=True)
class Verified:
    key_id: str
    algorithm: str
    nonce: str
    created: int


def _fail(code: str, message: str, **details: Any) -> AuthenticationError:
    return AuthenticationError(message, code=code, **details)


def _header(request: SignedRequest, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name), None)


def claimed_hub(request: SignedRequest) -> str | None:
    """The `lgsp-hub` header as sent (for a refusal's log line), unverified."""
    return _header(request, HUB_HEADER)


def read_claim(request: SignedRequest) -> Claim:
    """The claimed hub and key of a call, or 401: one `lgsp-hub` signature with a
    `keyid`, covering the `lgsp-hub` header, which is present."""
    components, params = signature_input(request.headers, LABEL)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise _fail("signature_invalid", "The signature has no keyid.")
    hub = _header(request, HUB_HEADER)
    if not hub or HUB_HEADER not in components:
        raise _fail("signature_invalid", f"A hub's call carries the '{HUB_HEADER}' header "
                                         "(its base URL), covered by the signature.")
    return Claim(canonical_url(hub), key_id, tuple(components), params)


def verify(request: SignedRequest, claim: Claim, jwk: dict[str, Any], *, now: int,
           skew_seconds: int) -> Verified:
    """Check the call against the peer's key (a checked public JWK) or raise 401:
    time, covered components, the key's own algorithm, a well-formed nonce, the
    signature, the body against its signed `Content-Digest`."""
    created = check_time(claim.params, now, skew_seconds)
    required = list(covered(body=bool(request.body))) + (
        ["content-digest"] if request.body else [])
    if any(c not in claim.components for c in required):
        raise _fail("signature_invalid", "The signature must cover " + ", ".join(required) + ".")
    algorithm = peer_keys.algorithm_of(jwk)
    if claim.params.get("alg", algorithm) != algorithm:
        raise _fail("algorithm_mismatch", f"This peer's key signs with {algorithm}, not "
                                          f"{claim.params.get('alg')}.")
    nonce = str(check_nonce(claim.params, request.method, required=True))
    verify_signature(request, _VERIFIERS[algorithm], peer_keys.public_pem(jwk), required)
    return Verified(claim.key_id, algorithm, nonce, created)
