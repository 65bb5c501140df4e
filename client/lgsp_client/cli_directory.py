"""`lgsp directory ...` and `lgsp groups ...`: find units (accents and case ignored) and
manage the named groups a send can address as `group:<id>` (R-PROP-7)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from lgsp_client.api import LgspClient


def add_directory_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    directory = sub.add_parser("directory", parents=[common], help="find units")
    actions = directory.add_subparsers(dest="directory_command", required=True,
                                       metavar="ACTION")
    search = actions.add_parser("search", parents=[common],
                                help="search names, codes and accounts (accents optional)")
    search.add_argument("query", nargs="?", default=None, metavar="QUERY")
    search.add_argument("--parent", metavar="CODE", help="only units below this one")
    search.add_argument("--level", type=int, choices=(1, 2, 3, 4))
    search.add_argument("--status", choices=("active", "suspended", "dissolved"))
    search.add_argument("--limit", type=int, default=20)
    for name, what in (("show", "one unit by code"), ("subtree", "a unit and its units")):
        one = actions.add_parser(name, parents=[common], help=what)
        one.add_argument("code", metavar="CODE")
    for parser in actions.choices.values():
        parser.add_argument("--json", action="store_true", help="print the raw JSON")

    groups = sub.add_parser("groups", parents=[common],
                            help="named groups of units (send to group:<id>)")
    gactions = groups.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    gactions.add_parser("list", parents=[common], help="every group")
    show = gactions.add_parser("show", parents=[common], help="a group and its members now")
    show.add_argument("id", metavar="ID")
    create = gactions.add_parser("create", parents=[common], help="operators: a new group")
    create.add_argument("id", metavar="ID")
    create.add_argument("--name", required=True)
    create.add_argument("--member", action="append", default=[], metavar="CODE",
                        help="a member (repeat)")
    create.add_argument("--parent", metavar="CODE", help="rule: every unit below this one")
    create.add_argument("--level", type=int, choices=(1, 2, 3, 4),
                        help="rule: only units of this level")
    delete = gactions.add_parser("delete", parents=[common], help="operators: remove")
    delete.add_argument("id", metavar="ID")
    for parser in gactions.choices.values():
        parser.add_argument("--json", action="store_true", help="print the raw JSON")


def _print_units(items: list[dict[str, Any]], out: TextIO) -> None:
    for item in items:
        entry = item.get("unit", item)
        match = item.get("match")
        where = f"  ({match['field']}: {match['text']})" if match else ""
        hub = (f"  [hub {entry['hub']}{', stale' if entry.get('stale') else ''}]"
               if entry.get("remote") else "")
        print(f"{entry['code']}  L{entry['level']}  {entry['status']:<9} {entry['name']}"
              f"{where}{hub}", file=out)


def run_directory(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    action = args.directory_command
    if action == "search":
        query = [(k, str(v)) for k, v in (("q", args.query), ("parent", args.parent),
                                          ("level", args.level), ("status", args.status),
                                          ("limit", args.limit)) if v is not None]
        data = client.call("GET", "/v1/directory", query=query)
        items = data.get("items", [])
    elif action == "show":
        data = client.call("GET", f"/v1/directory/{args.code}")
        items = [data]
    else:
        data = client.call("GET", f"/v1/directory/{args.code}/subtree")
        items = data.get("items", [])
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    else:
        _print_units(items, out)
    return 0


def run_groups(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    action = args.groups_command
    if action == "list":
        data = client.call("GET", "/v1/groups")
        lines = [f"group:{g['id']}  {g['name']}" for g in data.get("items", [])]
    elif action == "show":
        data = client.call("GET", f"/v1/groups/{args.id}")
        lines = [f"group:{data['id']}  {data['name']}",
                 *(f"  {code}" for code in data.get("active_members") or [])]
    elif action == "create":
        body: dict[str, Any] = {"id": args.id, "name": args.name, "members": args.member}
        if args.parent:
            body["rule"] = {"parent": args.parent, **({"level": args.level}
                                                      if args.level else {})}
        data = client.call("POST", "/v1/groups", body=body)
        lines = [f"group:{data['id']} created"]
    else:
        data = client.call("DELETE", f"/v1/groups/{args.id}")
        lines = [f"group:{args.id} deleted"]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    else:
        print("\n".join(lines), file=out)
    return 0
