"""The tamper matrix (R-COMP-4): one validly signed request, changed one way per case.

Each case builds the request to send and names the refusal code the hub must answer.
The same cases run through chalice's test client and over real HTTP to the local host.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.algorithms import HmacSha1
from tests.support.signing import sign


@dataclass(frozen=True)
class Req:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Ctx:
    """What a case may use: the signing app, another app, a revoked key, the hub's time."""

    base: str  # e.g. http://127.0.0.1:8000
    host: str  # the Host header clients send
    key_id: str
    secret: str
    other_key_id: str
    revoked_key_id: str
    revoked_secret: str
    now: int
    extra: dict[str, Any] = field(default_factory=dict)

    def signed(self, method: str = "POST", path: str = "/v1/messages/0000000000ab/reject",
               body: bytes | None = None, *, key_id: str | None = None,
               secret: str | None = None, created: int | None = None, **kw: Any) -> Req:
        data = json.dumps({"reason": "tamper"}).encode() if body is None else body
        if method == "GET" and body is None:
            data = b""
        headers = {"Host": self.host, **({"Content-Type": "application/json"} if data else {})}
        url = self.base + path
        headers = sign(method, url, key_id=key_id or self.key_id, secret=secret or self.secret,
                       body=data, created=self.now if created is None else created,
                       headers=headers, **kw)
        return Req(method, url, headers, data)


def _swap(req: Req, header: str, old: str, new: str) -> Req:
    headers = dict(req.headers)
    assert old in headers[header], (header, old)
    headers[header] = headers[header].replace(old, new)
    return replace(req, headers=headers)


def _drop(req: Req, header: str) -> Req:
    return replace(req, headers={k: v for k, v in req.headers.items() if k != header})


def _flip_signature(req: Req) -> Req:
    value = req.headers["Signature"]
    i = value.index(":") + 3
    return replace(req, headers={**req.headers,
                                 "Signature": value[:i] + ("A" if value[i] != "A" else "B")
                                 + value[i + 1:]})


def _two_signatures(req: Req) -> Req:
    h = dict(req.headers)
    h["Signature-Input"] += ", extra" + h["Signature-Input"][len("lgsp"):]
    h["Signature"] += ", extra" + h["Signature"][len("lgsp"):]
    return replace(req, headers=h)


Case = tuple[str, Callable[[Ctx], Req], str]
OTHER_BODY = json.dumps({"reason": "changed"}).encode()

CASES: list[Case] = [
    ("body changed", lambda c: replace(c.signed(), body=OTHER_BODY), "digest_mismatch"),
    ("body and digest changed", lambda c: _swap(replace(c.signed(), body=OTHER_BODY),
                                                "Content-Digest", "sha-256=:",
                                                "sha-256=:AAAA"), "signature_invalid"),
    ("method changed", lambda c: replace(c.signed("POST", "/v1/inbox", b""), method="GET"),
     "signature_invalid"),
    ("path changed", lambda c: replace(c.signed(), url=c.base + "/v1/messages/0000000000cd/"
                                       "reject"), "signature_invalid"),
    ("action changed", lambda c: replace(c.signed(), url=c.base + "/v1/messages/0000000000ab/"
                                         "confirm"), "signature_invalid"),
    ("query value changed", lambda c: replace(c.signed("GET", "/v1/inbox?limit=5"),
                                              url=c.base + "/v1/inbox?limit=6"),
     "signature_invalid"),
    ("query parameter added", lambda c: replace(c.signed("GET", "/v1/inbox?limit=5"),
                                                url=c.base + "/v1/inbox?cursor=x&limit=5"),
     "signature_invalid"),
    ("query parameter removed", lambda c: replace(c.signed("GET", "/v1/inbox?limit=5"),
                                                  url=c.base + "/v1/inbox"),
     "signature_invalid"),
    ("host changed", lambda c: _swap(c.signed(), "Host", c.host, "evil.example"),
     "signature_invalid"),
    ("covered digest header dropped", lambda c: _drop(c.signed(), "Content-Digest"),
     "signature_invalid"),
    ("key id of another app", lambda c: _swap(c.signed(), "Signature-Input", c.key_id,
                                              c.other_key_id), "signature_invalid"),
    ("unknown key id", lambda c: _swap(c.signed(), "Signature-Input", c.key_id,
                                       "AKDOESNOTEXIST000000"), "signature_invalid"),
    ("wrong secret", lambda c: c.signed(secret="not-the-secret"), "signature_invalid"),
    ("alg parameter changed", lambda c: _swap(c.signed(), "Signature-Input",
                                              'alg="hmac-sha256"', 'alg="rsa-pss-sha512"'),
     "algorithm_mismatch"),
    ("signed with hmac-sha1", lambda c: c.signed(algorithm=HmacSha1), "algorithm_mismatch"),
    ("alg parameter removed, other algorithm", lambda c: _swap(
        c.signed(algorithm=HmacSha1), "Signature-Input", ';alg="hmac-sha1"', ""),
     "signature_invalid"),
    ("created too old", lambda c: c.signed(created=c.now - 301), "clock_skew"),
    ("created in the future", lambda c: c.signed(created=c.now + 301), "clock_skew"),
    ("created not an integer", lambda c: _swap(c.signed(), "Signature-Input",
                                               f"created={c.now}", f'created="{c.now}"'),
     "signature_invalid"),
    ("nonce missing on POST", lambda c: c.signed(nonce=None), "nonce_required"),
    ("nonce malformed", lambda c: c.signed(nonce="short"), "signature_invalid"),
    ("nonce changed after signing", lambda c: _swap(
        c.signed(nonce="n" * 20), "Signature-Input", "n" * 20, "m" * 20),
     "signature_invalid"),
    ("signature missing", lambda c: _drop(c.signed(), "Signature"), "signature_missing"),
    ("signature input missing", lambda c: _drop(c.signed(), "Signature-Input"),
     "signature_missing"),
    ("signature bytes changed", lambda c: _flip_signature(c.signed()), "signature_invalid"),
    ("two signatures", lambda c: _two_signatures(c.signed()), "signature_invalid"),
    ("other label", lambda c: _swap(_swap(c.signed(), "Signature-Input", "lgsp=", "sig1="),
                                    "Signature", "lgsp=", "sig1="), "signature_invalid"),
    ("target uri not covered", lambda c: c.signed("GET", "/v1/inbox",
                                                  components=("@method",)),
     "signature_invalid"),
    ("body not covered by digest", lambda c: _swap(
        c.signed(), "Signature-Input", ' "content-digest"', ""), "signature_invalid"),
    ("malformed signature input", lambda c: _swap(c.signed(), "Signature-Input", "lgsp=(",
                                                  "lgsp=(("), "signature_invalid"),
    ("revoked key", lambda c: c.signed(key_id=c.revoked_key_id, secret=c.revoked_secret),
     "key_revoked"),
    ("expired signature", lambda c: c.signed(
        expires=datetime.datetime.fromtimestamp(c.now - 10, datetime.UTC)),
     "signature_expired"),
]
