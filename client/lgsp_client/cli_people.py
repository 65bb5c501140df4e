"""`lgsp admin people|sso-apps ...`: a unit's people and its SSO apps from a shell
(R-COMP-6, R-OPS-3).

Unit admins manage their own unit's people, operators any unit's: create one (the hub
answers a one-time link where the person sets a password), list them, change roles,
disable or enable, and issue a new link (optionally forgetting the TOTP of a lost phone).
A unit's SSO admins list its SSO apps and rotate a client secret. A link or a secret is
printed once on stdout, with a warning on stderr, and never written anywhere else.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.render import table

ROLES = ("member", "sso_admin", "unit_admin", "operator")
ALL_PAGE = 200  # the hub's largest page, for --all


def _action(actions: Any, common: argparse.ArgumentParser, name: str, what: str, *,
            person: bool = True) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, parents=[common], help=what)
    parser.add_argument("unit", metavar="UNIT", help="the unit's identifier code")
    if person:
        parser.add_argument("username", metavar="USERNAME")
    parser.add_argument("--json", action="store_true", help="print the raw JSON")
    return parser


def add_people_areas(areas: Any, common: argparse.ArgumentParser) -> None:
    """Register the `people` and `sso-apps` areas under `lgsp admin`."""
    people = areas.add_parser("people", parents=[common],
                              help="unit admins, operators: a unit's people (SSO accounts)")
    actions = people.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    listing = _action(actions, common, "list", "the unit's people", person=False)
    listing.add_argument("--all", action="store_true",
                         help="every page (from --cursor on), not only one")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    add = _action(actions, common, "add",
                  "create a person; prints their one-time set-password link")
    add.add_argument("--name", required=True, help="full name (Họ tên)")
    add.add_argument("--email")
    add.add_argument("--role", action="append", choices=ROLES, dest="roles",
                     help="repeat for several (default: member)")
    _action(actions, common, "disable", "disable: every sign-in of theirs ends at once")
    _action(actions, common, "enable", "enable a disabled person again")
    roles = _action(actions, common, "set-roles", "replace the person's roles")
    roles.add_argument("roles", nargs="+", choices=ROLES, metavar="ROLE",
                       help=" | ".join(ROLES))
    reset = _action(actions, common, "reset", "a new one-time set-password link")
    reset.add_argument("--forget-second-factor", action="store_true",
                       help="also forget their TOTP (lost phone): they enrol again")

    apps = areas.add_parser("sso-apps", parents=[common],
                            help="SSO admins, unit admins, operators: a unit's SSO apps")
    aactions = apps.add_subparsers(dest="sso_apps_command", required=True, metavar="ACTION")
    _action(aactions, common, "list", "apps and the discovery URL", person=False)
    rotate = _action(aactions, common, "rotate-secret",
                     "a new client secret (the old one stops at once)", person=False)
    rotate.add_argument("client_id", metavar="CLIENT_ID")


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def print_people(page: dict[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no people)", file=out)
        return
    table(["USERNAME", "NAME", "ROLES", "STATUS", "PASSWORD", "TOTP", "EMAIL"],
          [[p["username"], p["name"], ",".join(p.get("roles") or []), p["status"],
            "set" if p.get("password_set") else "not set",
            "yes" if p.get("second_factor") else "no", p.get("email")] for p in items], out)


def print_sso_apps(data: dict[str, Any], out: TextIO) -> None:
    items = data.get("items") or []
    if items:
        table(["CLIENT_ID", "NAME", "TYPE", "AUTH", "STATUS", "REDIRECT_URIS"],
              [[a["client_id"], a["name"], a["client_type"], a["token_endpoint_auth_method"],
                a["status"], " ".join(a.get("redirect_uris") or [])] for a in items], out)
    else:
        print("(no SSO apps)", file=out)
    print(f"discovery: {data['discovery_url']}", file=out)


def _person_line(person: dict[str, Any]) -> str:
    return f"{person['account']} {person['status']} {','.join(person.get('roles') or [])}"


def _link_lines(answer: dict[str, Any]) -> list[str]:
    person = answer["person"]
    _note(f"the link is shown only now: hand it to {person['name']} in person or by the "
          f"unit's own channel; it works once, until {answer['expires_at']}")
    return [f"account:    {person['account']}", f"name:       {person['name']}",
            f"roles:      {','.join(person.get('roles') or [])}",
            f"link:       {answer['link']}", f"expires_at: {answer['expires_at']}"]


def _all_pages(client: LgspClient, unit: str, cursor: str | None) -> dict[str, Any]:
    page = client.list_people(unit, cursor=cursor, limit=ALL_PAGE)
    items = list(page.get("items") or [])
    while page.get("next_cursor"):
        page = client.list_people(unit, cursor=page["next_cursor"], limit=ALL_PAGE)
        items += page.get("items") or []
    return {"items": items, "next_cursor": None}


def _people(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    action = args.people_command
    if action == "list":
        data = _all_pages(client, args.unit, args.cursor) if args.all else \
            client.list_people(args.unit, cursor=args.cursor)
        if data.get("next_cursor") and not args.json:
            _note(f"more: lgsp admin people list {args.unit} --cursor {data['next_cursor']} "
                  "(or --all)")
        return data, []
    if action == "add":
        data = client.add_person(args.unit, args.username, args.name, email=args.email,
                                 roles=args.roles)
        return data, _link_lines(data)
    if action == "reset":
        data = client.reset_person(args.unit, args.username,
                                   second_factor=args.forget_second_factor)
        lines = _link_lines(data)
        if args.forget_second_factor:
            lines.append("totp:       forgotten (they enrol an authenticator at next login)")
        return data, lines
    if action == "set-roles":
        data = client.change_person(args.unit, args.username, roles=args.roles)
    else:
        data = client.change_person(args.unit, args.username,
                                    status="disabled" if action == "disable" else "active")
    return data, [_person_line(data)]


def _sso_apps(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    if args.sso_apps_command == "list":
        return client.list_sso_apps(args.unit), []
    data = client.rotate_sso_secret(args.unit, args.client_id)
    _note("the client secret is shown only now: put it in the app's settings; the old "
          "one no longer works and the hub cannot show this one again")
    return data, [f"client_id:     {data['client_id']}",
                  f"client_secret: {data['client_secret']}"]


def run_people(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `admin people` or `admin sso-apps` action."""
    people = args.admin_area == "people"
    data, lines = (_people if people else _sso_apps)(client, args)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    elif lines:
        print("\n".join(lines), file=out)
    elif people:
        print_people(data, out)
    else:
        print_sso_apps(data, out)
    return 0
