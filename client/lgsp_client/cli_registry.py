"""`lgsp admin units|apps|reorg ...`: the unit registry from a shell (R-JOIN-1, R-JOIN-5,
R-OPS-3): operators register, change, import (dry run first) and re-organise units, and
create a unit's app directly; unit admins list their unit's apps and revoke keys."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.algorithms import ALGORITHMS, RSA_ALGORITHMS
from lgsp_client.api import LgspClient
from lgsp_client.errors import ConfigError

REORG_KINDS = ("rename", "merge", "split", "dissolve")


def add_registry_areas(areas: Any, common: argparse.ArgumentParser) -> None:
    """Register the `units` and `reorg` areas under `lgsp admin`."""
    units = areas.add_parser("units", parents=[common], help="operators: the unit registry")
    actions = units.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common], help="register a unit")
    create.add_argument("code", metavar="CODE")
    create.add_argument("--name", required=True)
    create.add_argument("--short-name")
    create.add_argument("--email")
    create.add_argument("--phone")
    change = actions.add_parser("update", parents=[common],
                                help="change names or status (active / suspended)")
    change.add_argument("code", metavar="CODE")
    change.add_argument("--name")
    change.add_argument("--short-name")
    change.add_argument("--status", choices=("active", "suspended"))
    history = actions.add_parser("history", parents=[common], help="a unit's changes")
    history.add_argument("code", metavar="CODE")
    imp = actions.add_parser("import", parents=[common],
                             help="import a CSV or JSON unit list (a dry run unless --apply)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--apply", action="store_true",
                     help="import for real (nothing is written unless every row is good)")

    apps = areas.add_parser("apps", parents=[common],
                            help="unit admins: your unit's apps and their keys")
    aactions = apps.add_subparsers(dest="apps_command", required=True, metavar="ACTION")
    alist = aactions.add_parser("list", parents=[common], help="apps, roles, keys")
    alist.add_argument("--unit", help="operators: another unit (default: yours)")
    acreate = aactions.add_parser(
        "create", parents=[common],
        help="operators: create a unit's app and its key (the secret is shown once)")
    acreate.add_argument("--unit", required=True, metavar="CODE")
    acreate.add_argument("--name", required=True, help="what the app is")
    acreate.add_argument("--algorithm", choices=sorted(ALGORITHMS),
                         help="default hmac-sha256 (the hub makes the secret)")
    acreate.add_argument("--public-key", type=Path, metavar="FILE",
                         help="RSA: the app's public key (PEM or JWK)")
    acreate.add_argument("--role", choices=("app", "unit_admin"),
                         help="default app; unit_admin manages its unit's apps and requests")
    acreate.add_argument("--legacy", action="store_true",
                         help="allow hmac-sha1 (weak; old systems only)")
    arevoke = aactions.add_parser("revoke-key", parents=[common], help="revoke a key now")
    arevoke.add_argument("app", metavar="APP_ID")
    arevoke.add_argument("key_id", metavar="KEY_ID")

    reorg = areas.add_parser("reorg", parents=[common],
                             help="operators: rename, merge, split or dissolve units")
    ractions = reorg.add_subparsers(dest="reorg_command", required=True, metavar="ACTION")
    ractions.add_parser("list", parents=[common], help="re-organisations, newest first")
    apply = ractions.add_parser("apply", parents=[common], help="record and apply one")
    apply.add_argument("kind", choices=REORG_KINDS)
    apply.add_argument("units", nargs="+", metavar="CODE")
    apply.add_argument("--successor", action="append", default=[], metavar="CODE[=NAME]",
                       help="a successor; with =NAME it is created (repeat)")
    apply.add_argument("--new-name", help="rename: the new full name")
    apply.add_argument("--decision", required=True, metavar="NUMBER",
                       help="decision number, e.g. 1234/QĐ-UBND")
    apply.add_argument("--decision-date", required=True, metavar="YYYY-MM-DD")
    apply.add_argument("--effective", required=True, metavar="YYYY-MM-DD")
    for parser in (*actions.choices.values(), *ractions.choices.values(),
                   *aactions.choices.values()):
        parser.add_argument("--json", action="store_true", help="print the raw JSON")


def _successor(text: str) -> dict[str, str]:
    code, _, name = text.partition("=")
    return {"code": code.strip(), **({"name": name.strip()} if name.strip() else {})}


def _units(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    action = args.units_command
    if action == "create":
        contact = {k: v for k, v in (("email", args.email), ("phone", args.phone)) if v}
        body: dict[str, Any] = {"code": args.code, "name": args.name, "contact": contact}
        if args.short_name:
            body["short_name"] = args.short_name
        data = client.call("POST", "/v1/admin/units", body=body)
        return data, [f"{data['code']} registered: level {data['level']}, parent "
                      f"{data['parent']}, account {data['account']}"]
    if action == "update":
        changes = {k: v for k, v in (("name", args.name), ("short_name", args.short_name),
                                     ("status", args.status)) if v}
        data = client.call("PATCH", f"/v1/admin/units/{args.code}", body=changes)
        return data, [f"{data['code']} {data['status']} {data['name']}"]
    if action == "history":
        data = client.call("GET", f"/v1/admin/units/{args.code}/history")
        return data, [f"{h['at']}  {h['event']:<9} {h['actor'] or ''}"
                      for h in data.get("items", [])]
    text = args.file.read_text(encoding="utf-8-sig")
    body = {"format": "json" if args.file.suffix.lower() == ".json" else "csv", "data": text}
    data = client.call("POST", "/v1/admin/units/import", body={**body, "dry_run": True})
    if data["valid"] and args.apply:  # checked first, so a bad file prints every bad row
        data = client.call("POST", "/v1/admin/units/import", body={**body, "dry_run": False})
    lines = [f"row {e['row']}: {e['code'] or '-'} {e['field']}: {e['error']}: {e['message']}"
             for e in data["errors"]]
    verdict = ("imported " + str(data["imported"]) if data["imported"]
               else "all rows are good (dry run: nothing written; add --apply)"
               if data["valid"] else f"{len(data['errors'])} problem(s): nothing written")
    if not data["valid"]:
        raise ImportRefused([*lines, f"{data['rows']} rows; {verdict}"])
    return data, [*lines, f"{data['rows']} rows; {verdict}"]


def _create_app(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    public_key = None
    if args.public_key is not None:
        public_key = args.public_key.read_text(encoding="utf-8")
        if args.algorithm not in RSA_ALGORITHMS:
            raise ConfigError("--public-key goes with --algorithm rsa-pss-sha512 or "
                              "rsa-v1_5-sha256")
    data = client.create_unit_app(args.unit, args.name, algorithm=args.algorithm,
                                  public_key=public_key, role=args.role, legacy=args.legacy)
    app, creds = data["app"], data["credentials"]
    lines = [f"app:        {app['app']}", f"unit:       {app['unit']}",
             f"role:       {app['role']}", f"access_key: {creds['access_key']}",
             f"algorithm:  {creds['algorithm']}"]
    if creds.get("secret_key"):
        lines.append(f"secret_key: {creds['secret_key']}")
        print("the secret is shown only now: store it safely and hand it over to the unit; "
              "the hub cannot show it again", file=sys.stderr)
    if data.get("note"):
        print(data["note"], file=sys.stderr)
    return data, lines


def _apps(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    if args.apps_command == "create":
        return _create_app(client, args)
    if args.apps_command == "revoke-key":
        data = client.call("DELETE", f"/v1/admin/apps/{args.app}/keys/{args.key_id}")
        return data, [f"{data['key_id']} {data['status']}"]
    unit = args.unit or client.whoami()["unit"]
    data = client.call("GET", f"/v1/admin/units/{unit}/apps")
    lines = []
    for app in data["items"]:
        lines.append(f"{app['app']}  {app['role']:<10} {app['status']:<9} {app['name']}")
        lines += [f"    {k['key_id']}  {k['algorithm']:<16} {k['status']}"
                  for k in app["keys"]]
    return data, lines


def _reorg(client: LgspClient, args: argparse.Namespace) -> tuple[Any, list[str]]:
    if args.reorg_command == "list":
        data = client.call("GET", "/v1/admin/reorganisations")
        return data, [f"{r['created_at']}  {r['kind']:<8} {' + '.join(r['units'])} -> "
                      f"{', '.join(r['successors']) or '-'}  {r['state']}"
                      for r in data.get("items", [])]
    body: dict[str, Any] = {
        "kind": args.kind, "units": args.units,
        "successors": [_successor(s) for s in args.successor],
        "legal_basis": {"decision_number": args.decision,
                        "decision_date": args.decision_date},
        "effective_date": args.effective}
    if args.new_name:
        body["new_name"] = args.new_name
    data = client.call("POST", "/v1/admin/reorganisations", body=body)
    return data, [f"{data['kind']} {data['state']}: moved {data['moved_deliveries']} "
                  f"deliveries, told {data['sources_told']} sources"]


class ImportRefused(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("import refused")
        self.lines = lines


def run_registry(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    try:
        area = {"units": _units, "apps": _apps, "reorg": _reorg}[args.admin_area]
        data, lines = area(client, args)
    except ImportRefused as refused:  # every bad row printed; exit 1 like other refusals
        print("\n".join(refused.lines), file=out)
        return 1
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    else:
        print("\n".join(lines), file=out)
    return 0
