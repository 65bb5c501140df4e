"""`lgsp admin requests ...`: the joining and leaving workflows (R-OPS-1..3) from a shell.

A unit admin files its unit's requests (the appendix forms 01, 03, 06, 08, 09, 12),
completes drafts and withdraws them; an operator lists them (overdue first), approves or
refuses; both download the answer letter (DOCX). Fields come from a JSON file
(`--fields`), `--set name=value` pairs (dotted for a person: `applicant.email=...`), or
both (`--set` wins).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.cli_catalogue import add_services_area, run_admin_services
from lgsp_client.cli_notices import add_notices_area, run_admin_notices
from lgsp_client.cli_peers import add_peers_areas, run_peers
from lgsp_client.cli_people import add_people_areas, run_people
from lgsp_client.cli_registry import add_registry_areas, run_registry
from lgsp_client.errors import ConfigError
from lgsp_client.render import table

KINDS = ("register_app", "admin_account", "cancel_app", "sso_register_app",
         "sso_admin_account", "sso_cancel_app")
STATES = ("submitted", "draft", "closed")


def _fields_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fields", type=Path, metavar="FILE",
                        help="JSON object with the form's fields (UTF-8)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="one field (repeat); dotted for a person: applicant.email=...")


def _answer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--answer-number", help="number of the answer letter")
    parser.add_argument("--signer-name", help="who signs the answer")
    parser.add_argument("--signer-title", help="default GIÁM ĐỐC")


def add_admin_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `admin requests file|list|show|complete|approve|refuse|withdraw|letter`,
    and the registry, people and SSO-app areas."""
    admin = sub.add_parser("admin", parents=[common], help="unit admins and operators")
    areas = admin.add_subparsers(dest="admin_area", required=True, metavar="AREA")
    add_registry_areas(areas, common)
    add_people_areas(areas, common)
    add_notices_area(areas, common)
    add_services_area(areas, common)
    add_peers_areas(areas, common)
    requests = areas.add_parser("requests", parents=[common],
                                help="joining and leaving requests (forms 01-13)")
    actions = requests.add_subparsers(dest="requests_command", required=True,
                                      metavar="ACTION")
    file = actions.add_parser("file", parents=[common], help="file a request")
    file.add_argument("--kind", required=True, choices=KINDS)
    file.add_argument("--unit", help="operators: the unit to file for")
    _fields_options(file)
    listing = actions.add_parser("list", parents=[common],
                                 help="requests, open ones by due date (overdue first)")
    listing.add_argument("--unit", help="operators: one unit's requests")
    listing.add_argument("--state", choices=STATES, help="operators: only these")
    listing.add_argument("--limit", type=int, metavar="N")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.add_argument("--json", action="store_true", help="print the raw JSON page")
    show = actions.add_parser("show", parents=[common], help="one request and its history")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true")
    complete = actions.add_parser("complete", parents=[common], help="complete a draft")
    complete.add_argument("id", metavar="ID")
    _fields_options(complete)
    approve = actions.add_parser("approve", parents=[common], help="operators: approve")
    approve.add_argument("id", metavar="ID")
    _answer_options(approve)
    approve.add_argument("--support-name", help="support contact named in the answer")
    approve.add_argument("--support-phone")
    approve.add_argument("--support-mobile")
    approve.add_argument("--handover-name", help="who hands over (minutes 05, 11)")
    approve.add_argument("--handover-position")
    refuse = actions.add_parser("refuse", parents=[common], help="operators: refuse")
    refuse.add_argument("id", metavar="ID")
    refuse.add_argument("--reason", required=True)
    _answer_options(refuse)
    withdraw = actions.add_parser("withdraw", parents=[common], help="take a request back")
    withdraw.add_argument("id", metavar="ID")
    letter = actions.add_parser("letter", parents=[common],
                                help="download the answer letter (DOCX)")
    letter.add_argument("id", metavar="ID")
    letter.add_argument("--form", help="05 or 11: the handover minutes instead")
    letter.add_argument("-o", "--output", type=Path, metavar="PATH",
                        help="file or directory (default: the hub's file name here)")


def read_fields(path: Path | None, pairs: list[str]) -> dict[str, Any]:
    """The fields from `--fields` then `--set` (dotted names build nested objects)."""
    fields: dict[str, Any] = {}
    if path is not None:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a JSON object of fields")
        fields.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set takes NAME=VALUE, not {pair!r}")
        *parents, leaf = name.strip().split(".")
        target = fields
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return fields


def _pick(args: argparse.Namespace, **names: str) -> dict[str, str]:
    return {key: getattr(args, attr) for key, attr in names.items() if getattr(args, attr)}


def _answer(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = _pick(args, answer_number="answer_number",
                                 signer_name="signer_name", signer_title="signer_title")
    if getattr(args, "support_name", None):
        body["support_contact"] = _pick(args, name="support_name", phone="support_phone",
                                        mobile="support_mobile")
    if getattr(args, "handover_name", None):
        body["handover_by"] = _pick(args, name="handover_name",
                                    position="handover_position")
    return body


def _state_line(request: dict[str, Any], out: TextIO) -> None:
    print(f"{request['id']} {request['state']}", file=out)
    if request.get("due_date") and request["state"] == "submitted":
        late = " (overdue)" if request.get("overdue") else ""
        print(f"due: {request['due_date']}{late}", file=out)
    if request.get("missing"):
        print(f"missing: {', '.join(request['missing'])}", file=out)


def print_requests(page: dict[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no requests)", file=out)
        return
    table(["ID", "FORM", "KIND", "UNIT", "STATE", "DUE", "TITLE"],
          [[i["id"], i["form"], i["kind"], i["unit"],
            i["state"] + ("!" if i.get("overdue") else ""), i.get("due_date"), i["title"]]
           for i in items], out)


def print_request(request: dict[str, Any], out: TextIO) -> None:
    _state_line(request, out)
    print(f"kind: {request['kind']} (form {request['form']}), unit: {request['unit']}",
          file=out)
    for name, value in request.get("fields", {}).items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        print(f"  {name}: {shown}", file=out)
    if request.get("reason"):
        print(f"reason: {request['reason']}", file=out)
    for name, value in (request.get("result") or {}).items():
        print(f"result.{name}: {value}", file=out)
    for entry in request.get("history") or []:
        print(f"{entry['at']}  {entry['event']}  {entry.get('unit') or ''}", file=out)


def _approve(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    answer = client.decide_request(args.id, "approve", _answer(args))
    _state_line(answer["request"], out)
    creds = answer.get("credentials")
    if creds:
        print(f"app:        {creds['app']}", file=out)
        print(f"access_key: {creds['access_key']}", file=out)
        print(f"algorithm:  {creds['algorithm']}", file=out)
        if creds.get("secret_key"):
            print(f"secret_key: {creds['secret_key']}", file=out)
            print("the secret is shown only now: hand it over to the unit", file=sys.stderr)
    _show_sso(answer, out)
    if answer.get("note"):
        print(answer["note"], file=sys.stderr)
    return 0


def _show_sso(answer: dict[str, Any], out: TextIO) -> None:
    """Form 08's SSO app (its client secret, once) and form 09's SSO admin (the one-time
    link where they set their password, once)."""
    sso = answer.get("sso")
    if sso:
        print(f"client_id:     {sso['client_id']}", file=out)
        print(f"discovery_url: {sso['discovery_url']}", file=out)
        for name in ("redirect_uris", "post_logout_redirect_uris"):
            print(f"{name}: {' '.join(sso.get(name) or []) or '-'}", file=out)
        print(f"backchannel_logout_uri: {sso.get('backchannel_logout_uri') or '-'}", file=out)
        if sso.get("client_secret"):
            print(f"client_secret: {sso['client_secret']}", file=out)
            print("the client secret is shown only now: hand it over to the unit",
                  file=sys.stderr)
    account = answer.get("account")
    if account:
        print(f"account:    {account['person']['account']}", file=out)
        print(f"setup_link: {account['link']}", file=out)
        print(f"expires_at: {account['expires_at']}", file=out)
        print("the link is shown only now: hand it over to the SSO admin in person",
              file=sys.stderr)


def _letter(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    data, name = client.request_letter(args.id, args.form)
    target = args.output or Path(Path(name).name)
    if target.is_dir():
        target = target / Path(name).name
    with target.open("xb") as handle:  # never overwrite a letter already saved
        handle.write(data)
    print(f"{target} ({len(data)} bytes)", file=out)
    return 0


def run_admin(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `admin` action."""
    if args.admin_area in ("units", "apps", "reorg"):
        return run_registry(client, args, out)
    if args.admin_area in ("people", "sso-apps"):
        return run_people(client, args, out)
    if args.admin_area == "notices":
        return run_admin_notices(client, args, out)
    if args.admin_area == "services":
        return run_admin_services(client, args, out)
    if args.admin_area in ("peers", "routes"):
        return run_peers(client, args, out)
    return _requests(client, args, out)


def _requests(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    action = args.requests_command
    if action == "approve":
        return _approve(client, args, out)
    if action == "letter":
        return _letter(client, args, out)
    if action == "list":
        page = client.list_requests(unit=args.unit, state=args.state, cursor=args.cursor,
                                    limit=args.limit)
        if args.json:
            print(json.dumps(page, ensure_ascii=False, indent=2), file=out)
        else:
            print_requests(page, out)
        return 0
    if action == "show":
        request = client.get_request(args.id)
        if args.json:
            print(json.dumps(request, ensure_ascii=False, indent=2), file=out)
        else:
            print_request(request, out)
        return 0
    if action == "file":
        request = client.file_request(args.kind, read_fields(args.fields, args.set),
                                      unit=args.unit)
    elif action == "complete":
        request = client.complete_request(args.id, read_fields(args.fields, args.set))
    elif action == "refuse":
        request = client.decide_request(args.id, "refuse",
                                        {"reason": args.reason, **_answer(args)})
    elif action == "withdraw":
        request = client.decide_request(args.id, "withdraw")
    else:
        raise AssertionError(f"unhandled requests action {action}")
    _state_line(request, out)
    return 0
