"""`lgsp services …` and `lgsp admin services pending|approve|refuse`: the catalogue of
the province's shared data services from a shell (R-COMP-3, R-JOIN-3, the hub's
docs/catalogue.md). A service is named `<unit>/<id>`, as in brokered sessions.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.cli_service_call import add_call_command, run_call
from lgsp_client.errors import ConfigError

STATES = ("pending", "listed", "refused", "withdrawn")
ROLES = ("provider", "consumer")
MAX_RATE = 100_000


def _ref(value: str) -> tuple[str, str]:
    unit, _, service_id = value.partition("/")
    if not unit or not service_id or "/" in service_id:
        raise argparse.ArgumentTypeError(f"invalid service {value!r}: use <unit>/<id>, "
                                         "e.g. 000.00.02.H40/land-records")
    return unit, service_id


def _rate(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"invalid rate {value!r}: 1 to {MAX_RATE} calls a "
                                         "minute")
    return number


def _rate_or_default(value: str) -> int | None:
    return None if value == "default" else _rate(value)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the hub's answer")


def _publish_options(publish: argparse.ArgumentParser) -> None:
    publish.add_argument("--id", required=True, help="slug, unique in your unit")
    publish.add_argument("--name", required=True)
    publish.add_argument("--description", required=True)
    publish.add_argument("--base-url", required=True, help="https://… where it is called")
    publish.add_argument("--openapi-file", type=Path, metavar="FILE",
                         help="its OpenAPI 3.x document (JSON, at most 1 MiB)")
    publish.add_argument("--openapi-url", metavar="URL", help="where its OpenAPI is "
                         "published (https)")
    publish.add_argument("--category", action="append", dest="categories", required=True,
                         metavar="TEXT", help="a kind of data it exposes (repeat)")
    publish.add_argument("--terms", required=True, help="terms of use")
    publish.add_argument("--scope", action="append", dest="scopes", metavar="SCOPE",
                         help="a scope consumers may ask for (repeat; default: call)")


def add_services_command(sub: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp services publish|list|search|show|openapi|withdraw|request|requests|grant|
    rate|usage|refuse|revoke|grants|call`."""
    area = sub.add_parser("services", parents=[common],
                          help="the catalogue of shared data services")
    actions = area.add_subparsers(dest="services_command", required=True, metavar="ACTION")
    publish = actions.add_parser("publish", parents=[common],
                                 help="publish a service of your unit (an operator approves)")
    _publish_options(publish)
    listing = actions.add_parser("list", parents=[common],
                                 help="listed services and your unit's own")
    search = actions.add_parser("search", parents=[common],
                                help="find services by words (diacritics ignored)")
    search.add_argument("words", nargs="+", metavar="WORD")
    for parser in (listing, search):
        parser.add_argument("--state", choices=STATES)
        parser.add_argument("--limit", type=int, metavar="N")
        parser.add_argument("--cursor", help="next_cursor of the previous page")
    for name, what in (("show", "one service's description"),
                       ("openapi", "a service's OpenAPI document"),
                       ("withdraw", "take your unit's service out of the catalogue")):
        one = actions.add_parser(name, parents=[common], help=what)
        one.add_argument("service", type=_ref, metavar="UNIT/ID")
        if name == "openapi":
            one.add_argument("--output", type=Path, metavar="FILE",
                             help="write the document there (default: print it)")
    request = actions.add_parser("request", parents=[common],
                                 help="ask access to a listed service for one of your apps")
    request.add_argument("service", type=_ref, metavar="UNIT/ID")
    request.add_argument("--app", required=True, help="your unit's app that will call it")
    request.add_argument("--purpose", required=True, help="what the data is for")
    request.add_argument("--scope", action="append", dest="scopes", metavar="SCOPE",
                         help="repeat; default: every scope it declares")
    for name, what, role in (("requests", "access requests involving your unit", "provider"),
                             ("grants", "granted access involving your unit", "consumer")):
        listed = actions.add_parser(name, parents=[common], help=what)
        listed.add_argument("--role", choices=ROLES, default=role,
                            help=f"provider: on your services; consumer: yours (default "
                                 f"{role})")
        listed.add_argument("--limit", type=int, metavar="N")
        listed.add_argument("--cursor", help="next_cursor of the previous page")
    for name, what in (("grant", "grant an access request on your service"),
                       ("refuse", "refuse an access request, with a reason"),
                       ("revoke", "revoke granted access (its tokens stop at once)")):
        decide = actions.add_parser(name, parents=[common], help=what)
        decide.add_argument("id", metavar="REQUEST_ID")
        if name == "refuse":
            decide.add_argument("--reason", required=True)
        if name == "grant":
            decide.add_argument("--rate", type=_rate, metavar="N", help="calls a minute "
                                "through the hub's proxy (1-100000; default: the hub's)")
    usage = actions.add_parser("usage", parents=[common], help="an access request and its "
                               "grant's calls through the hub's proxy, today and this month")
    usage.add_argument("id", metavar="REQUEST_ID")
    rate = actions.add_parser("rate", parents=[common], help="change a grant's calls a "
                              "minute through the hub's proxy")
    rate.add_argument("id", metavar="REQUEST_ID")
    rate.add_argument("rate", type=_rate_or_default, metavar="N|default")
    for parser in actions.choices.values():
        _json_flag(parser)
    add_call_command(actions, common, _ref)


def add_services_area(areas: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp admin services pending|approve|refuse` (operators)."""
    area = areas.add_parser("services", parents=[common],
                            help="operators: approve services for the catalogue")
    actions = area.add_subparsers(dest="admin_services_command", required=True,
                                  metavar="ACTION")
    pending = actions.add_parser("pending", parents=[common], help="entries to decide")
    pending.add_argument("--limit", type=int, metavar="N")
    pending.add_argument("--cursor", help="next_cursor of the previous page")
    approve = actions.add_parser("approve", parents=[common], help="list a pending entry")
    approve.add_argument("service", type=_ref, metavar="UNIT/ID")
    refuse = actions.add_parser("refuse", parents=[common], help="refuse a pending entry")
    refuse.add_argument("service", type=_ref, metavar="UNIT/ID")
    refuse.add_argument("--reason", required=True)
    for parser in actions.choices.values():
        _json_flag(parser)


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)


def _entry_line(entry: dict[str, Any]) -> str:
    return f"{entry['ref']}  {entry['state']}  {entry['name']}"


def _access_line(item: dict[str, Any]) -> str:
    rate = item.get("rate_per_minute")
    return (f"{item['id']}  {item['state']}  {item['service']}  {item['consumer_unit']}/"
            f"{item['app']}  {' '.join(item['scopes'])}" + (f"  {rate}/min" if rate else ""))


def _usage_lines(item: dict[str, Any]) -> list[str]:
    usage = item.get("usage")
    if not usage:
        return [_access_line(item), "no usage: not granted"]
    return [_access_line(item), *(
        f"{label} {usage[period]}: {f['calls']} calls, {f['failures']} failed, "
        f"{f['request_bytes']} bytes sent, {f['answer_bytes']} bytes answered"
        for label, period, f in (("today", "day", usage["today"]),
                                 ("month", "month", usage["this_month"])))]


def _publication(args: argparse.Namespace) -> dict[str, Any]:
    if args.openapi_file is None and args.openapi_url is None:
        raise ConfigError("services publish needs --openapi-file or --openapi-url")
    body: dict[str, Any] = {
        "id": args.id, "name": args.name, "description": args.description,
        "base_url": args.base_url, "data_categories": args.categories, "terms": args.terms}
    if args.openapi_url:
        body["openapi_url"] = args.openapi_url
    if args.openapi_file is not None:
        try:
            body["openapi_document"] = args.openapi_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {args.openapi_file}: {exc}") from exc
    if args.scopes:
        body["scopes"] = args.scopes
    return body


def _page(page: dict[str, Any], lines: list[str], again: str, args: argparse.Namespace,
          out: TextIO) -> int:
    if args.json:
        _dump(page, out)
        return 0
    for line in lines:
        print(line, file=out)
    if page.get("next_cursor"):
        print(f"more: {again} --cursor {page['next_cursor']}", file=out)
    return 0


def _one(answer: dict[str, Any], line: str, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        _dump(answer, out)
    else:
        print(line, file=out)
    return 0


def _openapi(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    answer = client.service_openapi(*args.service)
    document = answer.get("document")
    if args.json or document is None:
        if document is None and not args.json:
            print(f"not uploaded; published at {answer.get('url')}", file=out)
            return 0
        _dump(answer, out)
        return 0
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=out)
    else:
        print(text, file=out)
    return 0


def run_services(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `services` action."""
    action = args.services_command
    if action == "call":
        return run_call(client, args, out)
    if action in ("list", "search"):
        query = " ".join(args.words) if action == "search" else None
        page = client.search_services(query, state=args.state, cursor=args.cursor,
                                      limit=args.limit)
        return _page(page, [_entry_line(e) for e in page["items"]], f"lgsp services {action}",
                     args, out)
    if action in ("requests", "grants"):
        page = client.catalogue_grants(args.role, cursor=args.cursor, limit=args.limit)
        items = [i for i in page["items"] if action == "requests" or i["state"] == "granted"]
        return _page(page, [_access_line(i) for i in items],
                     f"lgsp services {action} --role {args.role}", args, out)
    if action == "openapi":
        return _openapi(client, args, out)
    if action == "usage":
        item = client.access_request(args.id)
        return _one(item, "\n".join(_usage_lines(item)), args, out)
    if action in ("publish", "show", "withdraw"):
        entry = client.publish_service(_publication(args)) if action == "publish" else (
            client.catalogue_entry(*args.service) if action == "show"
            else client.decide_service(args.service[0], args.service[1], "withdraw"))
        if action == "show" and not args.json:
            _dump(entry, out)
            return 0
        return _one(entry, _entry_line(entry), args, out)
    if action == "request":
        unit, service_id = args.service
        answer = client.request_access(f"{unit}/{service_id}", args.app,
                                       purpose=args.purpose, scopes=args.scopes)
    elif action == "rate":
        answer = client.set_access_rate(args.id, args.rate)
    else:
        answer = client.decide_access(args.id, action, reason=getattr(args, "reason", None),
                                      rate_per_minute=getattr(args, "rate", None))
    return _one(answer, _access_line(answer), args, out)


def run_admin_services(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `admin services` action."""
    action = args.admin_services_command
    if action == "pending":
        page = client.search_services(state="pending", cursor=args.cursor, limit=args.limit)
        return _page(page, [_entry_line(e) for e in page["items"]],
                     "lgsp admin services pending", args, out)
    unit, service_id = args.service
    entry = client.decide_service(unit, service_id, action,
                                  reason=getattr(args, "reason", None))
    return _one(entry, _entry_line(entry), args, out)
