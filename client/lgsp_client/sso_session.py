"""A person's sign-in, kept like the AWS CLI keeps its SSO session: one JSON file per
profile, `~/.lgsp/sso/<profile>.json` (the folder: `LGSP_SSO_DIR`; the name %-encoded if
it has other characters than letters, digits, `.`, `_`, `-`), mode 0600 in a 0700
folder, always replaced whole (written beside it, synced, then renamed), so a reader never
sees half a file.

```json
{"version": 1, "profile": "default", "endpoint": "https://lgsp.example.gov.vn",
 "issuer": "https://lgsp.example.gov.vn/sso", "client_id": "lgsp-cli",
 "token_endpoint": "…/sso/token", "revocation_endpoint": "…/sso/revoke",
 "scope": "openid profile unit offline_access lgsp:admin",
 "access_token": "eyJ…", "expires_at": "2030-01-01T00:05:00Z", "refresh_token": "…",
 "signed_in_at": "2030-01-01T00:00:00Z",
 "person": {"sub": "…", "preferred_username": "nva@000.00.12.H40@bacgiang.gov.vn",
            "name": "Nguyễn Văn A", "unit": "000.00.12.H40", "unit_name": "…",
            "roles": ["unit_admin"]}}
```

`expires_at` is this machine's clock at receipt plus the answer's `expires_in`, so a skewed
clock does not make the CLI renew too late. `PersonTokens` renews the access token when it
expires within 30 s, under a lock on `.<profile>.lock` and after reading the file again:
two `lgsp` processes never spend the same refresh token (the hub would take a reused one
for theft and end the whole sign-in).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from lgsp_client import sso
from lgsp_client.config import profile_name
from lgsp_client.errors import ConfigError, LgspError

if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

VERSION = 1
RENEW_LEEWAY = 30
PERSON_CLAIMS = ("sub", "preferred_username", "name", "unit", "unit_name", "roles")


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> int:
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.UTC).timestamp())


def person_claims(answer: Mapping[str, Any],
                  known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Who signed in, for display: the id_token's claims over the access token's, over what
    was `known` before. Read without verifying signatures (see `sso.unverified_claims`)."""
    merged = {**(known or {}), **sso.unverified_claims(answer.get("access_token")),
              **sso.unverified_claims(answer.get("id_token"))}
    return {name: merged.get(name) for name in PERSON_CLAIMS}


@dataclass(frozen=True)
class PersonSession:
    """One profile's sign-in. The tokens never appear in a `repr`."""

    profile: str
    endpoint: str
    issuer: str
    token_endpoint: str
    revocation_endpoint: str
    scope: str
    access_token: str = field(repr=False)
    expires_at: int
    refresh_token: str | None = field(repr=False)
    signed_in_at: int
    person: dict[str, Any]

    @classmethod
    def from_answer(cls, profile: str, endpoint: str, provider: sso.Provider,
                    answer: Mapping[str, Any], now: float) -> PersonSession:
        """The session a token answer starts."""
        session = cls(profile=profile, endpoint=endpoint, issuer=provider.issuer,
                      token_endpoint=provider.token_endpoint,
                      revocation_endpoint=provider.revocation_endpoint,
                      scope=str(answer.get("scope") or sso.SCOPE), access_token="",
                      expires_at=0, refresh_token=None, signed_in_at=int(now), person={})
        return session.renewed(answer, now)

    def renewed(self, answer: Mapping[str, Any], now: float) -> PersonSession:
        """This session after a token answer: a new access token and, the hub rotating
        them, a new refresh token (the old one kept only if none came)."""
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise sso.OAuthError("invalid_response", "the token answer has no access_token")
        lifetime = answer.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            expires_at = int(now + lifetime)
        else:
            exp = sso.unverified_claims(token).get("exp")
            expires_at = int(exp) if isinstance(exp, int | float) else int(now)
        rotated = answer.get("refresh_token")
        return replace(self, access_token=token, expires_at=expires_at,
                       refresh_token=str(rotated) if rotated else self.refresh_token,
                       scope=str(answer.get("scope") or self.scope),
                       person=person_claims(answer, self.person))

    def with_claims(self, claims: Mapping[str, Any]) -> PersonSession:
        """This session with the person's claims from elsewhere (userinfo) on top."""
        merged = {**self.person, **{k: v for k, v in claims.items() if v is not None}}
        return replace(self, person={name: merged.get(name) for name in PERSON_CLAIMS})

    def expiring(self, now: float, leeway: float = RENEW_LEEWAY) -> bool:
        return self.expires_at - now <= leeway

    @property
    def account(self) -> str:
        return str(self.person.get("preferred_username") or self.person.get("sub") or "?")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(version=VERSION, client_id=sso.CLIENT_ID, expires_at=iso(self.expires_at),
                    signed_in_at=iso(self.signed_in_at))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PersonSession:
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}")
        return cls(profile=str(data["profile"]), endpoint=str(data["endpoint"]),
                   issuer=str(data["issuer"]), token_endpoint=str(data["token_endpoint"]),
                   revocation_endpoint=str(data["revocation_endpoint"]),
                   scope=str(data["scope"]), access_token=str(data["access_token"]),
                   expires_at=epoch(data["expires_at"]),
                   refresh_token=data.get("refresh_token") or None,
                   signed_in_at=epoch(data["signed_in_at"]),
                   person=dict(data.get("person") or {}))


def sso_folder(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    override = env.get("LGSP_SSO_DIR")
    return Path(override).expanduser() if override else Path.home() / ".lgsp" / "sso"


class SessionStore:
    """The sign-in file of one profile."""

    def __init__(self, folder: Path, profile: str) -> None:
        self.folder, self.profile = folder, profile
        self._stem = urllib.parse.quote(profile, safe="")  # any name, never a path
        self.path = folder / f"{self._stem}.json"

    @classmethod
    def for_profile(cls, profile: str | None = None,
                    environ: Mapping[str, str] | None = None) -> SessionStore:
        return cls(sso_folder(environ), profile_name(profile, environ))

    def load(self) -> PersonSession | None:
        """The stored sign-in, or None when there is none."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return PersonSession.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"the sign-in file {self.path} cannot be read "
                              f"({type(exc).__name__}): run lgsp login again") from exc

    def _ensure_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, mode=0o700)

    def save(self, session: PersonSession) -> None:
        """Replace the file whole: a temporary file (0600) beside it, synced, renamed."""
        self._ensure_folder()
        fd, temp = tempfile.mkstemp(prefix=f".{self._stem}.", suffix=".tmp",
                                    dir=self.folder)
        try:  # mkstemp makes the file 0600, readable by this user only
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(session.to_json(), handle, ensure_ascii=False, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def delete(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the profile's lock (between processes) for a read-renew-write."""
        self._ensure_folder()
        fd = os.open(self.folder / f".{self._stem}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
            try:
                yield
            finally:
                _unlock(fd)
        finally:
            os.close(fd)


class PersonTokens:
    """The `TokenSource` of a signed-in profile: the access token, renewed with the refresh
    token when it expires within `leeway` seconds or when the hub says it expired."""

    def __init__(self, store: SessionStore, session: PersonSession, *,
                 http: requests.Session | None = None,
                 clock: Callable[[], float] = time.time,
                 leeway: float = RENEW_LEEWAY) -> None:
        self.store, self.session = store, session
        self.http = http or requests.Session()
        self.clock, self.leeway = clock, leeway
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PersonTokens({self.session.account!r})"

    def access_token(self) -> str:
        with self._lock:
            if not self.session.expiring(self.clock(), self.leeway):
                return self.session.access_token
            return self._renewed(self.session.access_token)

    def renew(self, rejected: str) -> str:
        with self._lock:
            return self._renewed(rejected)

    def _renewed(self, stale: str) -> str:
        with self.store.locked():
            current = self.store.load()
            if current is None:
                raise LgspError(f"profile [{self.store.profile}] was signed out: run lgsp "
                                "login again", code="not_signed_in")
            if current.access_token != stale and not current.expiring(self.clock(),
                                                                      self.leeway):
                self.session = current  # another lgsp process renewed it meanwhile
                return current.access_token
            if not current.refresh_token:
                raise LgspError("your sign-in has expired (no refresh token was granted): "
                                "run lgsp login again", code="sign_in_expired")
            try:
                answer = sso.refresh(self.http, current.token_endpoint, current.refresh_token)
                renewed = current.renewed(answer, self.clock())
            except sso.OAuthError as exc:
                if exc.code in ("connection_failed", "invalid_response") or exc.status >= 500:
                    raise LgspError(f"cannot renew your sign-in: {exc.message}",
                                    code=exc.code) from exc
                self.store.delete()  # the hub ended it: keeping it would only fail again
                raise LgspError(f"the hub refused to renew your sign-in ({exc.code}: "
                                f"{exc.message}): run lgsp login again",
                                code="sign_in_expired") from exc
            self.store.save(renewed)
            self.session = renewed
            return renewed.access_token
