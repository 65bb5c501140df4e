"""`lgsp login`, `lgsp logout`, `lgsp whoami`, and who the other commands speak for.

A call speaks for the app (RFC 9421 signature with the profile's key) or for the person
signed in with `lgsp login` (`Authorization: Bearer`): the person with `--as-person`, or
`auth = sso` in the profile (`LGSP_AUTH=sso`), or when the profile has no key but a
sign-in; the app otherwise (`auth = signature` forces it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import requests

from lgsp_client import sso
from lgsp_client.api import LgspClient
from lgsp_client.config import Credentials, credentials_path, load_credentials
from lgsp_client.errors import ConfigError, LgspError
from lgsp_client.render import print_whoami
from lgsp_client.sso_session import PersonSession, PersonTokens, SessionStore, iso

EXIT_ERROR, EXIT_DENIED, EXIT_EXPIRED = 1, 4, 5
COMMANDS = ("login", "logout", "whoami")


@dataclass
class Device:
    """What `lgsp login` waits with and opens the browser with (tests pass their own)."""

    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    open_browser: Callable[[str], object] = webbrowser.open
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    platform: str = sys.platform


def add_sso_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    login = sub.add_parser("login", parents=[common],
                           help="sign in as a person (device code, in a browser)")
    login.add_argument("--no-browser", action="store_true",
                       help="only print the page and the code; open no browser here")
    sub.add_parser("logout", parents=[common],
                   help="end the person's sign-in at the hub and forget it here")
    sub.add_parser("whoami", parents=[common],
                   help="the signed-in person, and the unit and app of your access key")


def can_open_browser(environ: Mapping[str, str], platform: str) -> bool:
    """A browser can show up here: Windows, macOS, or a graphical session elsewhere
    (a text browser started over SSH would take over the terminal)."""
    if platform in ("win32", "darwin"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def acts_as_person(as_person: bool, creds: Credentials,
                   session: PersonSession | None) -> bool:
    if as_person:
        return True
    if creds.auth is not None:
        return creds.auth == "sso"
    return session is not None and not creds.has_keys


def _probe(args: argparse.Namespace, session: PersonSession | None) -> Credentials | None:
    """The profile's settings without requiring keys; None if even the hub is unknown."""
    try:
        return load_credentials(profile=args.profile, endpoint=args.endpoint,
                                require_keys=False,
                                default_endpoint=session.endpoint if session else None)
    except ConfigError:
        if args.as_person or session is not None:
            raise
        return None


def _not_signed_in(profile: str) -> LgspError:
    return LgspError(f"profile [{profile}] is not signed in as a person: run "
                     f"lgsp login{_profile_flag(profile)}", code="not_signed_in")


def _person_client(store: SessionStore, session: PersonSession | None,
                   creds: Credentials) -> LgspClient:
    if session is None:
        raise _not_signed_in(store.profile)
    if session.endpoint != creds.endpoint:  # never hand the token to another host
        raise ConfigError(f"profile [{store.profile}] is signed in to {session.endpoint}, "
                          f"not {creds.endpoint}: run lgsp login again for that hub")
    return LgspClient(creds.endpoint, person=PersonTokens(store, session))


def connect(args: argparse.Namespace, *, require_keys: bool = True) -> LgspClient:
    """The client for one command: for the person or for the app (module docstring)."""
    store = SessionStore.for_profile(args.profile)
    try:
        session = store.load()
    except ConfigError:
        if args.as_person:
            raise
        session = None  # an unreadable sign-in does not stop the app's commands
    if args.as_person and session is None:
        raise _not_signed_in(store.profile)
    creds = _probe(args, session)
    if creds is not None and acts_as_person(args.as_person, creds, session):
        return _person_client(store, session, creds)
    creds = load_credentials(profile=args.profile, endpoint=args.endpoint,
                             require_keys=require_keys)
    return LgspClient.from_credentials(creds)


def _profile_flag(profile: str) -> str:
    return "" if profile == "default" else f" --profile {profile}"


def _person_line(session: PersonSession) -> str:
    person = session.person
    roles = ", ".join(person.get("roles") or []) or "none"
    name = f" ({person['name']})" if person.get("name") else ""
    return (f"{session.account}{name}, unit {person.get('unit') or '-'}, "
            f"roles {roles}")


def print_person(session: PersonSession, now: float, out: TextIO) -> None:
    person = session.person
    unit = person.get("unit") or "-"
    if person.get("unit_name"):
        unit = f"{unit} ({person['unit_name']})"
    left = session.expires_at - int(now)
    state = (f"in {left // 60} min {left % 60} s" if left > 0 else "expired")
    renewal = ("renewed by itself until the sign-in ends" if session.refresh_token
               else "then run lgsp login again")
    for label, value in (("person", session.account), ("name", person.get("name") or "-"),
                         ("unit", unit), ("roles", ", ".join(person.get("roles") or []) or "-"),
                         ("expires", f"{iso(session.expires_at)} ({state}; {renewal})"),
                         ("issuer", session.issuer), ("profile", session.profile)):
        print(f"{label + ':':<10}{value}", file=out)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _show_code(device: sso.DeviceCode, hooks: Device, no_browser: bool) -> None:
    _note("To sign in, open this page in a browser (on this or any other device):")
    _note(f"    {device.verification_uri}")
    _note(f"and enter the code:  {device.user_code}")
    target = device.verification_uri_complete
    if target and not no_browser and can_open_browser(hooks.environ, hooks.platform) \
            and hooks.open_browser(target):
        _note("A browser was opened on that page: check that it shows the same code.")
    _note(f"Waiting for the approval (the code expires in {device.expires_in // 60} min; "
          "Ctrl-C to stop)...")


def login(args: argparse.Namespace, out: TextIO, hooks: Device) -> int:
    """Device authorization (RFC 8628) against `<hub>/sso`; saves the profile's sign-in."""
    store = SessionStore.for_profile(args.profile)
    try:
        known = store.load()
    except ConfigError:
        known = None
    creds = load_credentials(profile=args.profile, endpoint=args.endpoint,
                             require_keys=False,
                             default_endpoint=known.endpoint if known else None)
    http = requests.Session()
    provider = sso.discover(http, creds.endpoint)
    device = sso.start_device(http, provider)
    _show_code(device, hooks, args.no_browser)
    try:
        answer = sso.poll_device(http, provider, device, sleep=hooks.sleep, clock=hooks.clock)
    except sso.SignInDenied as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_DENIED
    except sso.SignInExpired as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_EXPIRED
    session = PersonSession.from_answer(store.profile, creds.endpoint, provider, answer,
                                        hooks.wall_clock())
    if not answer.get("id_token") and provider.userinfo_endpoint:  # who it is, then
        session = session.with_claims(sso.userinfo(http, provider.userinfo_endpoint,
                                                   session.access_token))
    with store.locked():
        try:
            previous = store.load()
        except ConfigError:  # an unreadable file is simply replaced
            previous = None
        store.save(session)
    if previous is not None and previous.refresh_token:  # the sign-in it replaces ends
        try:
            sso.revoke(http, previous.revocation_endpoint, previous.refresh_token)
        except sso.OAuthError as exc:
            _note(f"the previous sign-in could not be ended at the hub ({exc.code})")
    print(f"signed in as {_person_line(session)}", file=out)
    if "lgsp:admin" not in session.scope.split():
        _note("the hub did not grant lgsp:admin: admin commands will be refused")
    if not acts_as_person(False, creds, session):
        _note(f"commands of profile [{store.profile}] still sign with its app key; add "
              f"--as-person, or set auth = sso in [{store.profile}] of "
              f"{credentials_path()}, to act as {session.account}")
    return 0


def logout(args: argparse.Namespace, out: TextIO) -> int:
    """Revoke the refresh token (RFC 7009) and delete the profile's sign-in file."""
    store = SessionStore.for_profile(args.profile)
    try:
        session = store.load()
    except ConfigError:
        store.delete()
        print(f"removed the unreadable sign-in of profile [{store.profile}]", file=out)
        return 0
    if session is None:
        print(f"profile [{store.profile}] is not signed in", file=out)
        return 0
    token, hint = ((session.refresh_token, "refresh_token") if session.refresh_token
                   else (session.access_token, "access_token"))
    try:
        sso.revoke(requests.Session(), session.revocation_endpoint, token, hint)
    except sso.OAuthError as exc:
        store.delete()
        if exc.code == "unsupported_token_type":  # an access token: it dies in minutes
            print(f"signed out: {session.account} (profile [{store.profile}])", file=out)
            return 0
        print(f"error: {exc.code}: {exc.message}; the sign-in was removed from this "
              "machine, but the hub could not end it: it lasts until its refresh token "
              "expires", file=sys.stderr)
        return EXIT_ERROR
    store.delete()
    print(f"signed out: {session.account} (profile [{store.profile}])", file=out)
    return 0


def whoami(args: argparse.Namespace, out: TextIO, hooks: Device) -> int:
    """The signed-in person (from the sign-in file), then the key's unit and app (from
    the hub) unless this profile's commands act as the person."""
    store = SessionStore.for_profile(args.profile)
    session = store.load()
    if session is not None:
        print_person(session, hooks.wall_clock(), out)
    try:
        creds: Credentials | None = load_credentials(
            profile=args.profile, endpoint=args.endpoint, require_keys=False,
            default_endpoint=session.endpoint if session else None)
    except ConfigError:
        creds = None
    person = args.as_person or (creds is not None and acts_as_person(False, creds, session))
    if session is None and person:
        raise _not_signed_in(store.profile)
    if session is not None and (person or creds is None or not creds.has_keys):
        return 0
    if session is not None:
        print(file=out)
    client = LgspClient.from_credentials(load_credentials(profile=args.profile,
                                                          endpoint=args.endpoint))
    print_whoami(client.whoami(), out)
    return 0


def run_sso(args: argparse.Namespace, out: TextIO, hooks: Device | None = None) -> int:
    hooks = hooks or Device()
    if args.command == "login":
        return login(args, out, hooks)
    if args.command == "logout":
        return logout(args, out)
    return whoami(args, out, hooks)
