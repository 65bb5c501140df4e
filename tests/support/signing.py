"""Signing requests in tests with the same RFC 9421 library agency clients use."""

from __future__ import annotations

import base64
import datetime
import os
from dataclasses import dataclass, field
from typing import Any

from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver


@dataclass
class Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def sign(method: str, url: str, *, key_id: str, secret: str | Any, body: bytes = b"",
         created: int, headers: dict[str, str] | None = None,
         nonce: str | None = "",
         algorithm: type[algorithms.HTTPSignatureAlgorithm] = algorithms.HMAC_SHA256,
         components: tuple[str, ...] = ("@method", "@target-uri"),
         expires: datetime.datetime | None = None) -> dict[str, str]:
    """Headers of a request signed like `lgsp_client` signs it (`nonce=None`: none;
    `secret`: an HMAC secret string or an RSA private key)."""
    msg = Message(method, url, dict(headers or {}))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={
            key_id: secret.encode() if isinstance(secret, str) else secret}))
    signer.sign(msg, key_id=key_id, label="lgsp",
                created=datetime.datetime.fromtimestamp(created, datetime.UTC),
                nonce=(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
                       if nonce == "" else nonce),
                covered_component_ids=components, body=body if body else None,
                expires=expires)
    return msg.headers
