"""RFC 9421 signing of hub calls as a `requests` auth hook.

The canonicalisation and the cryptography come from the `http-message-signatures` library
(HMAC-SHA256, HMAC-SHA1 for legacy apps, RSA-PSS-SHA512, RSA-v1_5-SHA256); this module
only chooses what the hub requires: label `lgsp`, `keyid`, `created`, a random `nonce`,
`alg`, and coverage of `@method`, `@target-uri` and (with a body) `content-digest`, the
RFC 9530 header the library writes from the exact body bytes.

`LgspAuth` signs `requests` calls; `LgspAuth.sign_headers` gives the same headers for a
request another library sends, such as a WebSocket handshake (an HTTP GET, so its
`@target-uri` is its URL with `ws` mapped to `http` and `wss` to `https`).
"""

from __future__ import annotations

import base64
import datetime
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterable

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import HTTPMessageSigner
from http_message_signatures.resolvers import MappingKeyResolver

from lgsp_client.algorithms import ALGORITHMS, DEFAULT_ALGORITHM, check_algorithm, signing_key

SIGNATURE_LABEL = "lgsp"
COVERED_COMPONENTS = ("@method", "@target-uri")
SIGNATURE_HEADERS = ("Signature-Input", "Signature", "Content-Digest")
HTTP_SCHEME_OF = {"ws": "http", "wss": "https"}


def new_nonce() -> str:
    """16 random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")


def canonical_query(items: Iterable[tuple[str, str]]) -> str:
    """The query string the hub rebuilds: pairs sorted by name (then value), %-encoded."""
    return urllib.parse.urlencode(sorted(items), quote_via=urllib.parse.quote)


def http_target(url: str) -> str:
    """The `@target-uri` the hub rebuilds for `url`: a WebSocket URL's scheme mapped to
    http(s), because the handshake is an HTTP GET, and the query in canonical order."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    query = canonical_query(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((HTTP_SCHEME_OF.get(scheme, scheme), parts.netloc,
                                    parts.path, query, ""))


def _body_bytes(body: object) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError("signed requests need an in-memory body (bytes or str)")


class LgspAuth(requests.auth.AuthBase):
    """Signs each prepared request anew (fresh `created` and `nonce` on every attempt).

    HMAC algorithms sign with `secret_key`, RSA ones with `private_key` (PEM bytes or a
    loaded key). `clock_offset` (seconds, server minus local) corrects a skewed local clock
    after the client has read `GET /v1/time`.
    """

    def __init__(self, access_key: str, secret_key: str | None = None, *,
                 algorithm: str = DEFAULT_ALGORITHM,
                 private_key: bytes | rsa.RSAPrivateKey | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.access_key = access_key
        self.algorithm = check_algorithm(algorithm)
        material = signing_key(self.algorithm, secret_key=secret_key, private_key=private_key)
        self._signer = HTTPMessageSigner(
            signature_algorithm=ALGORITHMS[self.algorithm],
            key_resolver=MappingKeyResolver(public_keys={},
                                            private_keys={access_key: material}))
        self._clock = clock
        self.clock_offset = 0

    def __repr__(self) -> str:
        return f"LgspAuth(access_key={self.access_key!r}, algorithm={self.algorithm!r})"

    def now(self) -> int:
        """The hub's time as this client believes it (epoch seconds)."""
        return int(self._clock()) + self.clock_offset

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = _body_bytes(r.body)
        if body == b"":
            body = None
        for name in SIGNATURE_HEADERS:
            r.headers.pop(name, None)
        created = datetime.datetime.fromtimestamp(self.now(), datetime.UTC)
        self._signer.sign(r, key_id=self.access_key, label=SIGNATURE_LABEL, created=created,
                          nonce=new_nonce(), include_alg=True,
                          covered_component_ids=COVERED_COMPONENTS, body=body)
        return r

    def sign_headers(self, method: str, url: str, body: bytes | str | None = None
                     ) -> dict[str, str]:
        """The signature headers for a request sent by something other than `requests`
        (a WebSocket handshake): the same signer, a fresh `created` and `nonce` per call,
        over `http_target(url)`. Call it again for every attempt: the hub refuses a
        nonce it has seen."""
        request = requests.Request(method.upper(), http_target(url), data=body).prepare()
        self(request)
        return {name: str(request.headers[name]) for name in SIGNATURE_HEADERS
                if name in request.headers}
