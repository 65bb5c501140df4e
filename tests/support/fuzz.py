"""What the API fuzz test (`tests/e2e/test_fuzz_api.py`) needs besides schemathesis: the
signing of each generated request exactly as sent, the guard that keeps the fuzzer from
cutting off its own access, and the tally of what was sent and answered."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

from lgsp_client.signing import LgspAuth, canonical_query


class CanonicalSigning(requests.auth.AuthBase):
    """The agency client's RFC 9421 signing (`LgspAuth`: a fresh `created` and nonce per
    request, `Content-Digest` of the exact body bytes), applied to the request as it will
    leave: first its query is put in the canonical order the hub rebuilds (`@target-uri`,
    docs/auth.md), so the URL sent is the URL signed, then it is signed. Malformed
    requests are signed too, so they reach the hub's validation."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self.signer = LgspAuth(access_key, secret_key)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urllib.parse.urlsplit(r.url or "")
        if parts.query:
            query = canonical_query(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            r.url = urllib.parse.urlunsplit(parts._replace(query=query))
        return self.signer(r)


@dataclass(frozen=True)
class Identity:
    """An app the fuzzer signs as."""

    name: str
    unit: str
    app: str
    access_key: str
    secret_key: str

    @property
    def auth(self) -> CanonicalSigning:
        return CanonicalSigning(self.access_key, self.secret_key)


@dataclass(frozen=True)
class Footing:
    """The units and keys the fuzzer signs with: a generated request that would suspend,
    re-organise or revoke one of them is not sent (`footing_risk`)."""

    units: frozenset[str]
    apps: frozenset[str]
    keys: frozenset[str]

    @classmethod
    def of(cls, identities: Iterable[Identity]) -> Footing:
        ids = list(identities)
        return cls(frozenset(i.unit for i in ids), frozenset(i.app for i in ids),
                   frozenset(i.access_key for i in ids))


_KEY_REVOCATIONS = {("DELETE", "/v1/keys/{key_id}"),
                    ("DELETE", "/v1/admin/apps/{app_id}/keys/{key_id}")}
_JOIN_REQUESTS = {("POST", "/v1/admin/requests"), ("PATCH", "/v1/admin/requests/{id}")}


def _mentions(value: Any, names: frozenset[str]) -> bool:
    return any(name in json.dumps(value, default=str) for name in names)


def footing_risk(method: str, path: str, path_parameters: dict[str, Any] | None,
                 body: Any, footing: Footing) -> str | None:
    """Why this request must not be sent (it would take away the fuzzer's own access),
    or None. Only these requests are withheld; every other one of the same operations is
    sent:

    - `DELETE /v1/keys/{key_id}` and `DELETE /v1/admin/apps/{app_id}/keys/{key_id}` of a
      key the fuzzer signs with (revoking another key, e.g. one a fuzzed `POST /v1/keys`
      issued, is sent);
    - `PATCH /v1/admin/units/{code}` setting the `status` of a fuzzer's unit (suspension
      makes its keys `key_revoked`);
    - `POST /v1/admin/reorganisations` naming a fuzzer's unit (rename, merge, split and
      dissolve all end its code);
    - `POST /v1/admin/requests` and `PATCH /v1/admin/requests/{id}` naming a fuzzer's app
      (a `cancel_app` request for it, once approved, cancels the app and its keys).
    """
    params, route = path_parameters or {}, (method, path)
    if route in _KEY_REVOCATIONS and str(params.get("key_id")) in footing.keys:
        return "revokes a key the fuzzer signs with"
    if route == ("PATCH", "/v1/admin/units/{code}") and str(params.get("code")) in \
            footing.units and isinstance(body, dict) and "status" in body:
        return "changes the status of a fuzzer's unit"
    if route == ("POST", "/v1/admin/reorganisations") and _mentions(body, footing.units):
        return "re-organises a fuzzer's unit"
    if route in _JOIN_REQUESTS and _mentions(body, footing.apps):
        return "asks to cancel a fuzzer's app"
    return None


@dataclass
class Tally:
    """What one identity's run sent and got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    withheld: Counter[str] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    sso: Counter[int] = field(default_factory=Counter)  # the SSO's pages and endpoints
    peer: Counter[int] = field(default_factory=Counter)  # the routes only peer hubs call

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def record(self, operation: str, status: int, body: Any) -> None:
        self.operations.add(operation)
        self.statuses[status] += 1
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            self.codes[f"{status} {body['error'].get('code')}"] += 1
