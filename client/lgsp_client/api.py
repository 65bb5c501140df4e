"""`LgspClient`: one method per endpoint of the hub's `/v1` API.

Answers are the decoded JSON (shapes in the hub's `/openapi.json`). Errors become
`LgspApiError(status, code, message)`. Transient failures (no connection, timeouts, 502,
503, 504) are retried with exponential backoff (full jitter), but a POST only when repeating
it cannot create a second message: `complete`, `fetch`, `confirm` and `reject` are
idempotent on the hub, and `create_message` is only retried with an Idempotency-Key.

Calls are signed as the app (RFC 9421) or, with `person=` (a `TokenSource`), carry the
person's access token as `Authorization: Bearer` instead (`lgsp login`, `--as-person`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import requests
from tenacity import (
    Retrying,
    retry_if_exception,
    retry_never,
    stop_after_attempt,
    wait_random_exponential,
)

from lgsp_client.algorithms import DEFAULT_ALGORITHM
from lgsp_client.api_catalogue import RELAYED, CatalogueCalls, paging
from lgsp_client.api_edxml import EdxmlCalls
from lgsp_client.api_notices import NoticeCalls
from lgsp_client.api_peers import PeerCalls
from lgsp_client.api_status import StatusReplyCalls
from lgsp_client.api_webhooks import WebhookCalls
from lgsp_client.bearer import BearerAuth, TokenSource
from lgsp_client.config import Credentials, normalise_endpoint
from lgsp_client.errors import LgspApiError
from lgsp_client.signing import LgspAuth, canonical_query

JSON = dict[str, Any]
RETRY_STATUSES = frozenset({502, 503, 504})
DEFAULT_TIMEOUT = (10.0, 60.0)
USER_AGENT = "lgsp-client/0.1.0"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: nothing reached the hub, or a gateway could not reach it."""
    if isinstance(exc, LgspApiError):
        return exc.status in RETRY_STATUSES
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def error_from_response(response: requests.Response) -> LgspApiError:
    """`{"error": {"code", "message"}}` when the hub answered; `http_<status>` otherwise."""
    try:
        body = response.json()
        error = body["error"]
        return LgspApiError(response.status_code, str(error["code"]), str(error["message"]),
                            {k: v for k, v in error.items() if k not in ("code", "message")})
    except (ValueError, KeyError, TypeError):
        text = " ".join(response.text.split())[:200] or response.reason or "no details"
        return LgspApiError(response.status_code, f"http_{response.status_code}", text)


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class LgspClient(NoticeCalls, PeerCalls, StatusReplyCalls, EdxmlCalls, CatalogueCalls,
                 WebhookCalls):
    """A signed session with one hub, safe to share between threads of one process; the
    calls of notices, peers, status replies, edXML, the catalogue, webhooks: mixins."""

    def __init__(self, endpoint: str, access_key: str | None = None,
                 secret_key: str | None = None, *, algorithm: str = DEFAULT_ALGORITHM,
                 private_key: bytes | None = None, session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, attempts: int = 4,
                 max_backoff: float = 8.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 person: TokenSource | None = None) -> None:
        self.endpoint = normalise_endpoint(endpoint)
        self.person = person
        self.auth = (LgspAuth(access_key, secret_key, algorithm=algorithm,
                              private_key=private_key, clock=clock)
                     if person is None and access_key and (secret_key or private_key)
                     else None)
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.max_backoff = max_backoff
        self.sleep = sleep
        self._clock = clock

    @classmethod
    def from_credentials(cls, credentials: Credentials, **options: Any) -> LgspClient:
        return cls(credentials.endpoint, credentials.access_key, credentials.secret_key,
                   algorithm=credentials.algorithm, private_key=credentials.private_key(),
                   **options)

    def __repr__(self) -> str:
        return f"LgspClient({self.endpoint!r})"

    # -- transport ----------------------------------------------------------------------

    def url(self, path: str, query: Iterable[tuple[str, str]] = ()) -> str:
        """Endpoint (with its path prefix) + path + the canonical (sorted) query."""
        qs = canonical_query(query)
        return f"{self.endpoint}{path}" + (f"?{qs}" if qs else "")

    def _credential(self) -> requests.auth.AuthBase:
        """How this call proves who it speaks for: the person's token, else the app's key."""
        if self.person is not None:
            return BearerAuth(self.person.access_token())
        if self.auth is None:
            raise LgspApiError(0, "no_credentials",
                               "this call is signed: an access key and secret key are needed")
        return self.auth

    def _send_once(self, method: str, url: str, body: bytes | None,
                   headers: Mapping[str, str], auth: requests.auth.AuthBase | None
                   ) -> requests.Response:
        response = self.session.request(method, url, data=body, headers=dict(headers),
                                        auth=auth, timeout=self.timeout,
                                        allow_redirects=False)
        if response.status_code >= 400 and RELAYED not in response.headers:
            raise error_from_response(response)  # the hub's (a service's relayed: returned)
        return response

    def _send(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str],
              *, auth: requests.auth.AuthBase | None, retry: bool) -> requests.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=0.5, max=self.max_backoff),
            retry=retry_if_exception(is_transient) if retry else retry_never,
            sleep=self.sleep, reraise=True)
        try:
            return retrying(self._send_once, method, url, body, headers, auth)
        except requests.RequestException as exc:
            raise LgspApiError(0, "connection_failed", f"{method} {url}: cannot reach the hub "
                               f"({type(exc).__name__})") from exc

    def _exchange(self, method: str, url: str, body: bytes | None,
                  headers: Mapping[str, str], *, signed: bool, retry: bool
                  ) -> requests.Response:
        """Send once more after a refusal the client can mend: a person's token the hub
        found expired is renewed (once); a signature's `clock_skew` resyncs the clock."""
        auth = self._credential() if signed else None
        try:
            return self._send(method, url, body, headers, auth=auth, retry=retry)
        except LgspApiError as exc:
            if isinstance(auth, BearerAuth) and self.person is not None \
                    and exc.code == "token_expired":
                auth = BearerAuth(self.person.renew(auth.token))
            elif isinstance(auth, LgspAuth) and exc.code == "clock_skew":
                self.sync_clock()
            else:
                raise
        return self._send(method, url, body, headers, auth=auth, retry=retry)

    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any:
        """One API call: JSON body sent as exactly the bytes signed; on `clock_skew`, read
        the hub's time once, correct the signing clock and try again; for a person, on
        401 `token_expired`, renew the access token once and try again."""
        url = self.url(path, query)
        all_headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        response = self._exchange(method, url, data, all_headers, signed=signed, retry=retry)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise LgspApiError(response.status_code, "invalid_response",
                               f"{method} {url}: the answer is not JSON") from exc

    def sync_clock(self) -> int:
        """Read `GET /v1/time` and sign with the hub's clock from now on; returns the offset."""
        before = self._clock()
        server = self.server_time()
        after = self._clock()
        offset = int(round(server["epoch"] - (before + after) / 2))
        if self.auth is not None:
            self.auth.clock_offset = offset
        return offset

    # -- unsigned -----------------------------------------------------------------------

    def health(self) -> JSON:
        return dict(self.call("GET", "/v1/health", signed=False))

    def server_time(self) -> JSON:
        """`{"epoch": int, "iso": str}`."""
        return dict(self.call("GET", "/v1/time", signed=False))

    def openapi(self) -> JSON:
        return dict(self.call("GET", "/openapi.json", signed=False))

    # -- signed -------------------------------------------------------------------------

    def whoami(self) -> JSON:
        return dict(self.call("GET", "/v1/whoami"))

    def create_message(self, request: Mapping[str, Any],
                       idempotency_key: str | None = None) -> JSON:
        """Request an exchange space; the answer has `message` and `upload` (null when the
        content is already verified, on a replay of the same key)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return dict(self.call("POST", "/v1/messages", body=request, headers=headers,
                              retry=idempotency_key is not None))

    def upload_plan(self, message_id: str) -> JSON:
        """Fresh upload URLs while the message is still `requested` (resume)."""
        return dict(self.call("GET", f"/v1/messages/{_quote(message_id)}/upload"))

    def complete(self, message_id: str,
                 parts: Sequence[Mapping[str, Any]] | None = None) -> JSON:
        """Tell the hub the upload is done; `parts` = `[{"part_number", "etag"}]`."""
        return dict(self.call("POST", f"/v1/messages/{_quote(message_id)}/complete",
                              body={"parts": list(parts or [])}))

    def message_status(self, message_id: str, *, every_page: bool = False) -> JSON:
        """`{"message", "deliveries", "trace", ...}`: the first page of deliveries and of
        trace, with their `*_next_cursor`; `every_page=True` follows both cursors (a
        broadcast has up to thousands of deliveries) and leaves no cursor."""
        status = dict(self.call("GET", f"/v1/messages/{_quote(message_id)}"))
        if every_page:
            for part in ("deliveries", "trace"):
                cursor = status.pop(f"{part}_next_cursor", None)
                while cursor:
                    page = self.call("GET", f"/v1/messages/{_quote(message_id)}/{part}",
                                     query=paging(cursor, 200))
                    status[part] = [*status[part], *page["items"]]
                    cursor = page.get("next_cursor")
        return status

    def inbox(self, *, cursor: str | None = None, limit: int | None = None) -> JSON:
        return dict(self.call("GET", "/v1/inbox", query=paging(cursor, limit)))

    def outbox(self, *, cursor: str | None = None, limit: int | None = None) -> JSON:
        return dict(self.call("GET", "/v1/outbox", query=paging(cursor, limit)))

    def fetch(self, message_id: str) -> JSON:
        """A short-lived download grant: `method`, `url`, `headers`, `size`, `sha256`, ..."""
        return dict(self.call("POST", f"/v1/messages/{_quote(message_id)}/fetch", body={}))

    def confirm(self, message_id: str, sha256: str) -> JSON:
        """Confirm receipt with the SHA-256 computed here (422 `checksum_mismatch` if it
        differs from the sender's; the hub then records a failed fetch)."""
        return dict(self.call("POST", f"/v1/messages/{_quote(message_id)}/confirm",
                              body={"sha256": sha256}))

    def reject(self, message_id: str, reason: str) -> JSON:
        return dict(self.call("POST", f"/v1/messages/{_quote(message_id)}/reject",
                              body={"reason": reason}))

    # -- keys of the caller's app -------------------------------------------------------

    def list_keys(self) -> JSON:
        """`{"items": [{"key_id", "algorithm", "status", "created_at", "last_used_at", ...}]}`."""
        return dict(self.call("GET", "/v1/keys"))

    def rotate_key(self, *, algorithm: str | None = None,
                   public_key: str | None = None) -> JSON:
        """A new key (`secret_key` shown once for HMAC); the app's other active keys stay
        valid until the overlap ends. Never retried: a retry would issue another key."""
        body = {name: value for name, value in (("algorithm", algorithm),
                                                ("public_key", public_key)) if value}
        return dict(self.call("POST", "/v1/keys", body=body, retry=False))

    def revoke_key(self, key_id: str) -> JSON:
        """Revoke a key of the caller's app at once (revoking twice is harmless)."""
        return dict(self.call("DELETE", f"/v1/keys/{_quote(key_id)}"))

    # -- a unit's apps (operators) --------------------------------------------------------

    def create_unit_app(self, unit: str, name: str, *, algorithm: str | None = None,
                        public_key: str | None = None, role: str | None = None,
                        legacy: bool = False) -> JSON:
        """Operators: create an app of `unit` and its first key, recorded in the unit's
        history: `{app, credentials, note}`; `credentials.secret_key` (HMAC) is shown this
        once. Never retried: a retry could create a second app."""
        body: dict[str, Any] = {"name": name}
        body.update({k: v for k, v in (("algorithm", algorithm), ("public_key", public_key),
                                       ("role", role)) if v})
        if legacy:
            body["legacy"] = True
        return dict(self.call("POST", f"/v1/admin/units/{_quote(unit)}/apps", body=body,
                              retry=False))

    # -- a unit's people and SSO apps (unit admins, operators, R-COMP-6, R-OPS-3) --------

    def add_person(self, unit: str, username: str, name: str, *, email: str | None = None,
                   roles: Sequence[str] | None = None) -> JSON:
        """Create a person of `unit` (roles default to `member` on the hub): `{person, link,
        expires_at}`; the one-time set-password `link` is shown this once. Never retried:
        a second create is 409 `person_exists` and its link would be lost."""
        body: dict[str, Any] = {"username": username, "name": name}
        if email:
            body["email"] = email
        if roles:
            body["roles"] = list(roles)
        return dict(self.call("POST", f"/v1/admin/units/{_quote(unit)}/people", body=body,
                              retry=False))

    def list_people(self, unit: str, *, cursor: str | None = None,
                    limit: int | None = None) -> JSON:
        """One page of the unit's people: `{items: [PersonView], next_cursor}`."""
        return dict(self.call("GET", f"/v1/admin/units/{_quote(unit)}/people",
                              query=paging(cursor, limit)))

    def change_person(self, unit: str, username: str, *, name: str | None = None,
                      email: str | None = None, roles: Sequence[str] | None = None,
                      status: str | None = None) -> JSON:
        """Change what is given (`status` `active` or `disabled`: every SSO session of the
        person ends at once); answers the PersonView. Idempotent, so retried."""
        body: dict[str, Any] = {k: v for k, v in (("name", name), ("email", email),
                                                  ("status", status)) if v}
        if roles:
            body["roles"] = list(roles)
        return dict(self.call("PATCH", _person_path(unit, username), body=body))

    def reset_person(self, unit: str, username: str, *, second_factor: bool = False) -> JSON:
        """A new one-time set-password link (`second_factor=True` also forgets the TOTP):
        `{person, link, expires_at}`. Never retried: each call issues another link."""
        return dict(self.call("POST", f"{_person_path(unit, username)}/reset",
                              body={"second_factor": second_factor}, retry=False))

    def list_sso_apps(self, unit: str) -> JSON:
        """The unit's apps registered with the SSO: `{items: [SsoApp], discovery_url}`."""
        return dict(self.call("GET", f"/v1/admin/units/{_quote(unit)}/sso-apps"))

    def rotate_sso_secret(self, unit: str, client_id: str) -> JSON:
        """A new client secret (the old one stops working now): `{client_id,
        client_secret}`, shown this once. Never retried: a retry would replace it again."""
        return dict(self.call("POST", f"/v1/admin/units/{_quote(unit)}/sso-apps/"
                                      f"{_quote(client_id)}/secret", retry=False))

    # -- joining and leaving requests (unit admins and operators, R-OPS-1) ---------------

    def file_request(self, kind: str, fields: Mapping[str, Any], *,
                     unit: str | None = None) -> JSON:
        """File a request (a draft lists its `missing` fields). Never retried."""
        body = {"kind": kind, "fields": dict(fields), **({"unit": unit} if unit else {})}
        return dict(self.call("POST", "/v1/admin/requests", body=body, retry=False))

    def list_requests(self, *, unit: str | None = None, state: str | None = None,
                      cursor: str | None = None, limit: int | None = None) -> JSON:
        query = [*paging(cursor, limit), *((("unit", unit),) if unit else ()),
                 *((("state", state),) if state else ())]
        return dict(self.call("GET", "/v1/admin/requests", query=query))

    def get_request(self, request_id: str) -> JSON:
        return dict(self.call("GET", f"/v1/admin/requests/{_quote(request_id)}"))

    def complete_request(self, request_id: str, fields: Mapping[str, Any]) -> JSON:
        return dict(self.call("PATCH", f"/v1/admin/requests/{_quote(request_id)}",
                              body={"fields": dict(fields)}))

    def decide_request(self, request_id: str, decision: str,
                       body: Mapping[str, Any] | None = None) -> JSON:
        """`approve`, `refuse` (body has `reason`) or `withdraw`. Never retried: an
        approval's answer carries an HMAC secret shown only once."""
        return dict(self.call("POST", f"/v1/admin/requests/{_quote(request_id)}/{decision}",
                              body=dict(body or {}), retry=False))

    def download(self, path: str, accept: str, *,
                 query: Iterable[tuple[str, str]] = ()) -> requests.Response:
        """A file the hub answers (not JSON), asked for with `Accept: <its media type>`
        (API Gateway answers binary only then): the bytes are `.content`, as sent."""
        return self._exchange("GET", self.url(path, query), None, {"Accept": accept},
                              signed=True, retry=True)

    def request_letter(self, request_id: str, form: str | None = None) -> tuple[bytes, str]:
        """The answer letter: DOCX bytes and the file name the hub suggests."""
        response = self.download(f"/v1/admin/requests/{_quote(request_id)}/letter", DOCX,
                                 query=[("form", form)] if form else [])
        found = re.search(r'filename="([^"/\\]+)"',
                          response.headers.get("Content-Disposition", ""))
        return response.content, found.group(1) if found else f"{request_id}.docx"


def _person_path(unit: str, username: str) -> str:
    return f"/v1/admin/units/{_quote(unit)}/people/{_quote(username)}"
