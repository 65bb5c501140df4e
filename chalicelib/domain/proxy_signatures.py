"""The hub's signature on a call it forwards to a catalogue service (issue 16;
docs/catalogue.md "Proxy mode", how a service verifies it). Pure: the key, the time and
the nonce are parameters.

RFC 9421, signed `rsa-pss-sha512` with the hub's own signing key (the one published at
`/.well-known/jwks.json`, as on session tokens and hub-to-hub calls), under its own label
`lgsp-proxy`, so it can pass neither for an app's signature nor for a hub's:

- covered: `@method`, `@target-uri` (the URL the service is called at, query included),
  `lgsp-caller-unit`, `lgsp-caller-app`, `lgsp-grant`, `lgsp-scopes`, `content-digest`
  (sha-512 of the body, empty bodies too);
- parameters: `created`, `keyid` (the hub key's kid), `nonce` (single use: a service may
  remember them for the skew window to refuse a replay), `alg="rsa-pss-sha512"`.
"""

from __future__ import annotations

from . import peer_signatures, proxy

LABEL = "lgsp-proxy"
COMPONENTS = ("@method", "@target-uri", proxy.CALLER_UNIT, proxy.CALLER_APP, proxy.GRANT,
              proxy.SCOPES, "content-digest")


def sign(method: str, url: str, headers: dict[str, str], body: bytes, *, key_id: str,
         private_pem: bytes, created: int, nonce: str) -> dict[str, str]:
    """`headers` (holding the identity headers, `proxy.identity_headers`) plus
    `Signature`, `Signature-Input` and `Content-Digest`."""
    return peer_signatures.sign_as_hub(method, url, headers, body, label=LABEL,
                                       components=COMPONENTS[:-1], key_id=key_id,
                                       private_pem=private_pem, created=created, nonce=nonce)
