"""`lgsp admin peers add|list|show|update|disable|enable|remove|check` and `lgsp admin
routes add|list|remove|resolve`: peer hubs and routes from a shell (operators; the hub's
docs/federation.md).

A peer's key comes from a file (`--public-key-file peer.jwk.json`: the public JWK the
peer hub gave, Ed25519, P-256 or RSA) or its JWKS URL (`--jwks-url`). `check` has the hub
ping the peer, signed, and prints what came back (exit status 1 when the link fails).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.errors import ConfigError


def _key_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    key = parser.add_mutually_exclusive_group(required=required)
    key.add_argument("--public-key-file", type=Path, metavar="FILE",
                     help="the peer's public JWK (JSON), Ed25519, P-256 or RSA")
    key.add_argument("--jwks-url", metavar="URL", help="where the peer publishes its keys")


def add_peers_areas(areas: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp admin peers …` and `lgsp admin routes …` (operators)."""
    area = areas.add_parser("peers", parents=[common], help="operators: peer hubs (other "
                            "provinces, the national platform)")
    actions = area.add_subparsers(dest="peers_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="register a peer hub")
    add.add_argument("id", metavar="ID", help="a short slug: hanoi, ndxp")
    add.add_argument("--name", required=True)
    add.add_argument("--base-url", required=True, metavar="URL", help="https://…")
    _key_options(add, required=True)
    add.add_argument("--our-key", metavar="KID", help="pin the hub key we sign with toward "
                     "it (default: the current one, following rotation)")
    add.add_argument("--disabled", action="store_true", help="register it disabled")
    listing = actions.add_parser("list", parents=[common], help="every peer hub")
    listing.add_argument("--limit", type=int, metavar="N")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    show = actions.add_parser("show", parents=[common], help="one peer hub")
    update = actions.add_parser("update", parents=[common], help="change a peer hub")
    update.add_argument("--name")
    update.add_argument("--base-url", metavar="URL")
    _key_options(update, required=False)
    update.add_argument("--our-key", metavar="KID", help="a hub key id, or 'current'")
    for parser in (add, update):
        parser.add_argument("--content", choices=("direct", "copy"), help="how our units "
                            "get its messages' content: from its store (direct, default) or "
                            "copied into ours first (its store is out of our units' reach)")
    disable = actions.add_parser("disable", parents=[common], help="stop routing to it "
                                 "(its codes have no route meanwhile)")
    enable = actions.add_parser("enable", parents=[common], help="route to it again")
    remove = actions.add_parser("remove", parents=[common], help="remove a peer no route "
                                "points to")
    check = actions.add_parser("check", parents=[common], help="ping it, signed: does the "
                               "link work both ways, and what does it call us")
    for parser in (show, update, disable, enable, remove, check):
        parser.add_argument("id", metavar="ID")
    for parser in (add, listing, show, update, disable, enable, remove, check):
        parser.add_argument("--json", action="store_true", help="print the hub's answer")

    routes = areas.add_parser("routes", parents=[common], help="operators: which peer hub "
                              "unit codes go to")
    acts = routes.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    radd = acts.add_parser("add", parents=[common], help="route a pattern to a peer")
    radd.add_argument("pattern", metavar="PATTERN", help="000.00.04.G14 (a code), H31 (a "
                      "level-1 part), G (a letter class) or '*' (the default)")
    radd.add_argument("peer", metavar="PEER")
    rlist = acts.add_parser("list", parents=[common], help="every route")
    rlist.add_argument("--limit", type=int, metavar="N")
    rlist.add_argument("--cursor", help="next_cursor of the previous page")
    rremove = acts.add_parser("remove", parents=[common], help="remove a route")
    rremove.add_argument("pattern", metavar="PATTERN", help="its pattern ('*' or default)")
    resolve = acts.add_parser("resolve", parents=[common], help="where a unit code goes")
    resolve.add_argument("code", metavar="CODE")
    for parser in (radd, rlist, rremove, resolve):
        parser.add_argument("--json", action="store_true", help="print the hub's answer")


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)


def _show(answer: dict[str, Any], text: str, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        _dump(answer, out)
    else:
        print(text, file=out)
    return 0


def _read_jwk(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a JWK is a JSON object")
    return data


def _key(args: argparse.Namespace) -> dict[str, Any]:
    if args.public_key_file is not None:
        return {"public_jwk": _read_jwk(args.public_key_file)}
    return {"jwks_url": args.jwks_url} if args.jwks_url is not None else {}


def peer_line(peer: dict[str, Any]) -> str:
    key = "JWK " + str((peer.get("public_jwk") or {}).get("crv")) if peer.get("public_jwk") \
        else f"JWKS {peer.get('jwks_url')}"
    return (f"{peer['id']}  {peer['state']}  {peer['base_url']}  {key}  "
            f"routes={peer['routes']}  our_kid={peer.get('our_kid')}  "
            f"content={peer.get('content', 'direct')}  {peer['name']}")


def check_line(result: dict[str, Any]) -> str:
    """`hanoi: ok in 12 ms: it knows us as bac-giang (https://lgsp.hanoi.gov.vn)`, or what
    failed."""
    if result["ok"]:
        return (f"{result['peer']}: ok in {result['latency_ms']:.0f} ms: it knows us as "
                f"{result['known_as']} ({result['hub']})")
    error = result.get("error") or {}
    status = f"HTTP {result['status']}" if result.get("status") else "no answer"
    return f"{result['peer']}: failed ({status}): {error.get('code')}: {error.get('message')}"


def route_line(route: dict[str, Any]) -> str:
    return f"{route['pattern']}  ({route['kind']})  -> {route['peer']}"


def run_peers(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.admin_area == "routes":
        return _routes(client, args, out)
    if args.peers_command in ("list", "check"):
        return (_list if args.peers_command == "list" else _check)(client, args, out)
    action = args.peers_command
    if action == "add":
        body = {"id": args.id, "name": args.name, "base_url": args.base_url, **_key(args),
                **({"our_key": args.our_key} if args.our_key else {}),
                **({"content": args.content} if args.content else {}),
                **({"state": "disabled"} if args.disabled else {})}
        peer = client.create_peer(body)
    elif action == "show":
        peer = client.get_peer(args.id)
    elif action == "update":
        change = {**({"name": args.name} if args.name else {}),
                  **({"base_url": args.base_url} if args.base_url else {}), **_key(args),
                  **({"our_key": args.our_key} if args.our_key else {}),
                  **({"content": args.content} if args.content else {})}
        if not change:
            raise ConfigError("nothing to change: give --name, --base-url, "
                              "--public-key-file, --jwks-url, --our-key or --content")
        peer = client.update_peer(args.id, change)
    elif action in ("disable", "enable"):
        state = "disabled" if action == "disable" else "active"
        peer = client.update_peer(args.id, {"state": state})
    elif action == "remove":
        return _show(client.remove_peer(args.id), f"{args.id} removed", args, out)
    else:
        raise AssertionError(f"unhandled peers action {action}")
    return _show(peer, peer_line(peer), args, out)


def _list(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    return _page(client.list_peers(cursor=args.cursor, limit=args.limit), peer_line,
                 "lgsp admin peers list", args, out)


def _page(page: dict[str, Any], line: Callable[[dict[str, Any]], str], command: str,
          args: argparse.Namespace, out: TextIO) -> int:
    """One line per item (or the JSON page), then how to ask for the next page."""
    if args.json:
        _dump(page, out)
        return 0
    for item in page["items"]:
        print(line(item), file=out)
    if page.get("next_cursor"):
        print(f"more: {command} --cursor {page['next_cursor']}", file=out)
    return 0


def _check(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    result = client.check_peer(args.id)
    _show(result, check_line(result), args, out)
    return 0 if result["ok"] else 1


def _routes(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    action = args.routes_command
    if action == "list":
        return _page(client.list_routes(cursor=args.cursor, limit=args.limit), route_line,
                     "lgsp admin routes list", args, out)
    if action == "add":
        answer = client.add_route(args.pattern, args.peer)
        text = route_line(answer)
    elif action == "remove":
        answer = client.remove_route(args.pattern)
        text = f"{args.pattern} removed"
    elif action == "resolve":
        answer = client.resolve_code(args.code)
        text = _resolution(answer)
    else:
        raise AssertionError(f"unhandled routes action {action}")
    return _show(answer, text, args, out)


def _resolution(answer: dict[str, Any]) -> str:
    code, route = answer["code"], answer.get("route") or {}
    if answer["local"]:
        return f"{code}: local (a unit of this hub)"
    if answer["outcome"] == "routed":
        return f"{code}: peer {answer['peer']['id']} (route {route.get('pattern')})"
    if answer["outcome"] == "peer_disabled":
        return (f"{code}: no route: route {route.get('pattern')} names peer "
                f"{route.get('peer')}, which is disabled")
    return f"{code}: no route"
