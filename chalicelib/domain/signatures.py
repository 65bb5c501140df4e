"""Verification of RFC 9421 HTTP Message Signatures on incoming calls (R-COMP-4).

Canonicalisation and the cryptography come from the maintained `http-message-signatures`
library; this module adds the hub's policy: which components must be covered, which
algorithm a key is bound to (no downgrade), the clock-skew window (R-PROP-4) and stable
error codes that tell an attacker nothing. The clock and the key lookup are parameters,
so the rules are testable without I/O. The algorithms are in `algorithms.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from http_message_signatures import HTTPMessageVerifier
from http_message_signatures.algorithms import HTTPSignatureAlgorithm
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.resolvers import HTTPSignatureKeyResolver

from .algorithms import ALGORITHMS, LEGACY_ONLY
from .errors import AuthenticationError

SIGNATURE_LABEL = "lgsp"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
NEEDS_NONCE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class VerificationKey:
    """What the hub knows of an access key: who it belongs to and how it signs."""

    key_id: str
    algorithm: str
    material: bytes
    unit: str
    app: str
    active: bool = True
    legacy: bool = False


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Caller:
    """An authenticated caller."""

    unit: str
    app: str
    key_id: str
    algorithm: str
    nonce: str | None
    created: int
    # A person acting through a token of the hub's single sign-on (docs/sso.md): their
    # account and roles; `app` is then the client they used (e.g. `lgsp-cli`).
    person: str | None = None
    roles: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        """Who did it, for histories: the person's account, else the app."""
        return self.person or self.app


class _Message:
    """The request view the library reads (method, url, headers)."""

    def __init__(self, request: SignedRequest) -> None:
        self.method = request.method.upper()
        self.url = request.url
        self.headers = dict(request.headers)


class OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: bytes) -> None:
        self._key = key

    def resolve_public_key(self, key_id: str) -> bytes:
        return self._key

    def resolve_private_key(self, key_id: str) -> bytes:
        return self._key


class _PolicyVerifier(HTTPMessageVerifier):
    """The library's verifier with the time checks done by the hub (injected clock)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def _fail(code: str, message: str, **details: Any) -> AuthenticationError:
    return AuthenticationError(message, code=code, **details)


def signature_input(headers: Mapping[str, str], label: str = SIGNATURE_LABEL
                    ) -> tuple[list[str], dict[str, Any]]:
    """The covered components and parameters of the one signature labelled `label`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_input = lowered.get("signature-input")
    if not raw_input or not lowered.get("signature"):
        raise _fail("signature_missing", "The request is not signed (RFC 9421 Signature and "
                                         "Signature-Input headers are required).")
    try:
        parsed: Any = http_sf.parse(raw_input.encode(), tltype="dictionary")
    except (ValueError, TypeError) as exc:
        raise _fail("signature_invalid", "The Signature-Input header is malformed.") from exc
    if len(parsed) != 1 or label not in parsed:
        raise _fail("signature_invalid", f"Exactly one signature labelled '{label}' is "
                                         "expected.")
    members, params = parsed[label]
    if not isinstance(members, list):
        raise _fail("signature_invalid", "The Signature-Input member must be an inner list.")
    return [str(value) for value, _ in members], dict(params)


def check_time(params: dict[str, Any], now: int, skew_seconds: int) -> int:
    created = params.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise _fail("signature_invalid", "The signature has no integer 'created' parameter.")
    if abs(now - created) > skew_seconds:
        raise _fail("clock_skew", f"The signature's created time is more than {skew_seconds} s "
                                  "from the server's time; resynchronise (GET /v1/time).",
                    server_time=now)
    expires = params.get("expires")
    if isinstance(expires, int) and expires < now:
        raise _fail("signature_expired", "The signature has expired.", server_time=now)
    return created


def _check_key(key: VerificationKey | None, params: dict[str, Any]) -> VerificationKey:
    if key is None:
        raise _fail("signature_invalid", "The signature could not be verified.")
    if not key.active:
        raise _fail("key_revoked", "The access key is not active.")
    alg = params.get("alg", key.algorithm)
    if alg != key.algorithm or key.algorithm not in ALGORITHMS:
        raise _fail("algorithm_mismatch", "The signature algorithm is not the one bound to "
                                          "this key.")
    if key.algorithm in LEGACY_ONLY and not key.legacy:
        raise _fail("algorithm_not_allowed", f"{key.algorithm} is allowed only for apps "
                                             "flagged legacy.")
    return key


def check_nonce(params: dict[str, Any], method: str, required: bool) -> str | None:
    nonce = params.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or not NONCE.match(nonce)):
        raise _fail("signature_invalid", "The nonce must be 16-128 characters of "
                                         "A-Z a-z 0-9 _ -.")
    if nonce is None and (required or method.upper() in NEEDS_NONCE):
        raise _fail("nonce_required", "Requests that change something must carry a signed "
                                      "nonce.")
    return nonce


def verify_signature(request: SignedRequest, algorithm: type[HTTPSignatureAlgorithm],
                     key: bytes, required: list[str]) -> None:
    """The one signature of `request`, covering `required`, verified with `key` (a secret,
    or a public key as PEM) by `algorithm`, then the body against its signed
    `Content-Digest`; else 401 `signature_invalid` / `digest_mismatch`. Times, coverage
    of the label's components and nonces are the caller's checks."""
    verifier = _PolicyVerifier(signature_algorithm=algorithm, key_resolver=OneKey(key))
    message = _Message(request)
    try:
        results = verifier.verify(message, max_age=None, require_components=required)
    except HTTPMessageSignaturesException as exc:  # InvalidSignature included
        raise _fail("signature_invalid", "The signature could not be verified.") from exc
    if request.body:
        try:
            verifier.verify_body(message, results, request.body)
        except HTTPMessageSignaturesException as exc:
            raise _fail("digest_mismatch", "The body does not match the signed "
                                           "Content-Digest.") from exc


def verify_request(
    request: SignedRequest,
    *,
    now: int,
    skew_seconds: int,
    find_key: Callable[[str], VerificationKey | None],
    require_nonce: bool = False,
) -> Caller:
    """Authenticate `request` or raise `AuthenticationError` with a stable code.

    Required: one signature labelled `lgsp` with `keyid` and `created`, covering `@method`,
    `@target-uri`, and `content-digest` whenever there is a body (checked against the body);
    a `nonce` on methods that change something (and wherever `require_nonce`, such as a
    WebSocket handshake). The caller remembers nonces (replays).
    """
    components, params = signature_input(request.headers)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise _fail("signature_invalid", "The signature has no keyid.")
    created = check_time(params, now, skew_seconds)
    required = ["@method", "@target-uri"] + (["content-digest"] if request.body else [])
    if any(c not in components for c in required):
        raise _fail("signature_invalid", "The signature must cover " + ", ".join(required) + ".")
    key = _check_key(find_key(key_id), params)
    nonce = check_nonce(params, request.method, require_nonce)
    verify_signature(request, ALGORITHMS[key.algorithm], key.material, required)
    return Caller(unit=key.unit, app=key.app, key_id=key.key_id, algorithm=key.algorithm,
                  nonce=nonce, created=created)
