"""`lgsp webhooks …`: your unit's webhook endpoints from a shell (issue 16, R-PROP-8; the
hub's docs/webhooks.md): register, list, change, rotate the secret of and remove them; see
their delivery attempts and dead letters, redeliver, ping; and `listen`, a local receiver
that verifies what the hub sends (webhook_listen.py).

A secret (`whsec_…`) is printed once, by `add` and `rotate-secret`, and never written
anywhere by this client.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.errors import UsageError
from lgsp_client.options import argument_type, parse_priority
from lgsp_client.render import table
from lgsp_client.webhook_listen import Delivery, Receiver, make_server

SECRET_VARIABLE = "LGSP_WEBHOOK_SECRET"
KEEP_IT = ("the secret is shown only now: keep it where your receiver verifies deliveries "
           "(verify_webhook, or lgsp webhooks listen --secret); it is not stored here")


def _events(value: str) -> list[str]:
    events = [e.strip() for e in value.split(",") if e.strip()]
    if not events:
        raise argparse.ArgumentTypeError("name event types, comma-separated "
                                         "(message.available,message.confirmed), or '*'")
    return events


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"a port is 0 to 65535: {value}")
    return port


def _filters(parser: argparse.ArgumentParser, *, clearable: bool) -> None:
    """`--priority`, `--counterpart` (each with `--any-…` to drop it, when `clearable`),
    `--description`."""
    for flag, dest, what, parse in (
            ("priority", "priorities", "only message events of this priority (repeat; "
             "hoa_toc, Hỏa tốc, …)", argument_type(parse_priority, "priority")),
            ("counterpart", "counterparts", "only message events whose other unit is this "
             "one (repeat)", str)):
        group = parser.add_mutually_exclusive_group() if clearable else parser
        group.add_argument(f"--{flag}", action="append", dest=dest, type=parse,
                           metavar="P" if flag == "priority" else "CODE", help=what)
        if clearable:
            group.add_argument(f"--any-{flag}", action="store_const", const=[], dest=dest,
                               help=f"drop the --{flag} filter")
    parser.add_argument("--description", help="a note for your unit (at most 200 chars)")


def add_webhooks_command(sub: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp webhooks add|list|show|update|rotate-secret|remove|attempts|dead-letters|
    redeliver|ping|listen`."""
    area = sub.add_parser("webhooks", parents=[common],
                          help="your unit's webhook endpoints, and a local receiver")
    actions = area.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common],
                             help="register an endpoint; its secret is printed once")
    add.add_argument("url", metavar="URL", help="https://… (a public address)")
    add.add_argument("--events", type=_events, required=True, metavar="A,B|*",
                     help="event types, comma-separated, or '*' for all")
    _filters(add, clearable=False)
    listing = actions.add_parser("list", parents=[common], help="your unit's endpoints")
    update = actions.add_parser("update", parents=[common],
                                help="change an endpoint (what is not given stays)")
    update.add_argument("id", metavar="ID")
    update.add_argument("--url", metavar="URL")
    update.add_argument("--events", type=_events, metavar="A,B|*")
    _filters(update, clearable=True)
    state = update.add_mutually_exclusive_group()
    state.add_argument("--enable", action="store_const", const="active", dest="state",
                       help="deliver again (after a fix, or after the hub disabled it)")
    state.add_argument("--disable", action="store_const", const="disabled", dest="state",
                       help="stop deliveries (events meanwhile go to its dead letters)")
    for name, what in (("show", "one endpoint: filters, state, last success"),
                       ("rotate-secret", "a new secret, printed once; the old one signs "
                                         "beside it for a day"),
                       ("remove", "remove an endpoint: nothing more is delivered to it"),
                       ("ping", "send it a webhook.ping event (then see attempts)")):
        actions.add_parser(name, parents=[common], help=what).add_argument("id", metavar="ID")
    pages = [listing]
    for name, what in (("attempts", "delivery attempts, newest first: status, latency"),
                       ("dead-letters", "events the hub gave up delivering")):
        page = actions.add_parser(name, parents=[common], help=what)
        page.add_argument("id", metavar="ID")
        pages.append(page)
    for page in pages:
        page.add_argument("--limit", type=int, metavar="N")
        page.add_argument("--cursor", help="next_cursor of the previous page")
    redeliver = actions.add_parser("redeliver", parents=[common],
                                   help="queue a dead letter again, or all of them")
    redeliver.add_argument("id", metavar="ID")
    which = redeliver.add_mutually_exclusive_group(required=True)
    which.add_argument("event_id", nargs="?", metavar="EVENT_ID")
    which.add_argument("--all", action="store_true", help="every dead letter of the endpoint")
    for parser in actions.choices.values():
        parser.add_argument("--json", action="store_true", help="print the hub's answer")
    _add_listen(actions, common)


def _add_listen(actions: Any, common: argparse.ArgumentParser) -> None:
    listen = actions.add_parser("listen", parents=[common],
                                help="a local receiver: verify and print each delivery")
    listen.add_argument("--port", type=argument_type(_port, "port"), required=True,
                        metavar="N", help="where to listen (0: any free port)")
    listen.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    listen.add_argument("--secret", action="append", dest="secrets", metavar="whsec_…",
                        help=f"the endpoint's secret; repeat during a rotation (default: "
                             f"{SECRET_VARIABLE}, which keeps it out of the process list)")
    listen.add_argument("--show-data", action="store_true",
                        help="print each verified event's data after its line")


def is_listen(args: argparse.Namespace) -> bool:
    """`webhooks listen` needs neither the hub nor credentials."""
    return args.command == "webhooks" and args.webhooks_command == "listen"


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(any)"
    return "-" if value is None or value == "" else str(value)


def _state(view: Mapping[str, Any]) -> str:
    if view.get("state") != "disabled":
        return str(view.get("state"))
    if view.get("disabled_reason") == "failing":
        return f"disabled (failing since {_text(view.get('failing_since'))})"
    return f"disabled ({_text(view.get('disabled_reason'))})"


def _print_view(view: Mapping[str, Any], out: TextIO) -> None:
    fields = [("id", view.get("id")), ("url", view.get("url")), ("state", _state(view)),
              ("events", view.get("events")), ("priorities", view.get("priorities")),
              ("counterparts", view.get("counterparts")),
              ("description", view.get("description")),
              ("last_success_at", view.get("last_success_at")),
              ("failing_since", view.get("failing_since")),
              ("created_at", f"{_text(view.get('created_at'))} by "
                             f"{_text(view.get('created_by'))}"),
              ("updated_at", view.get("updated_at")),
              ("secret_rotated_at", view.get("secret_rotated_at"))]
    for name, value in fields:
        print(f"{name + ':':<19}{_text(value)}", file=out)
    if view.get("disabled_reason") == "failing":
        print(f"the hub disabled it after a day of failed deliveries; fix the receiver, "
              f"then: lgsp webhooks update {view.get('id')} --enable", file=sys.stderr)


def _print_secret(answer: Mapping[str, Any], out: TextIO) -> None:
    _print_view(answer["webhook"], out)
    print(f"{'secret:':<19}{answer['secret']}", file=out)
    print(KEEP_IT, file=sys.stderr)


def _more(page: Mapping[str, Any], again: str) -> None:
    if page.get("next_cursor"):
        print(f"more: {again} --cursor {page['next_cursor']}", file=sys.stderr)


def _print_hooks(page: Mapping[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no webhook endpoints: lgsp webhooks add URL --events …)", file=out)
        return
    table(["ID", "STATE", "EVENTS", "URL", "DESCRIPTION"],
          [[h.get("id"), _state(h), _text(h.get("events")), h.get("url"),
            h.get("description")] for h in items], out)


def _print_attempts(page: Mapping[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no delivery attempts yet)", file=out)
        return
    table(["AT", "EVENT", "TYPE", "ATTEMPT", "STATUS", "LATENCY_MS", "RESULT"],
          [[a.get("at"), a.get("event_id"), a.get("event_type"), a.get("attempt"),
            a.get("status"), None if a.get("latency_ms") is None else f"{a['latency_ms']:.0f}",
            "delivered" if a.get("delivered") else a.get("error") or "failed"]
           for a in items], out, right={3, 4, 5})


def _print_dead(page: Mapping[str, Any], webhook_id: str, out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no dead letters)", file=out)
        return
    table(["DEAD_AT", "EVENT", "TYPE", "EVENT_AT", "ATTEMPTS", "LAST_STATUS", "LAST_ERROR",
           "REASON"],
          [[d.get("dead_at"), d.get("event_id"), d.get("event_type"), d.get("event_at"),
            d.get("attempts"), d.get("last_status"), d.get("last_error"), d.get("reason")]
           for d in items], out, right={4, 5})
    print(f"redeliver: lgsp webhooks redeliver {webhook_id} EVENT_ID, or --all",
          file=sys.stderr)


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    changes = {name: getattr(args, name) for name in
               ("url", "events", "priorities", "counterparts", "description", "state")}
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        raise UsageError("webhooks update: nothing to change (give --url, --events, "
                         "--priority, --counterpart, --description, --enable or --disable)")
    return changes


def _show(answer: Mapping[str, Any], args: argparse.Namespace, out: TextIO,
          printer: Callable[[Mapping[str, Any], TextIO], None]) -> int:
    if args.json:
        _dump(answer, out)
    else:
        printer(answer, out)
    return 0


def run_webhooks(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `webhooks` action that talks to the hub."""
    action = args.webhooks_command
    if action == "add":
        created = client.create_webhook(args.url, args.events,
                                        priorities=args.priorities or (),
                                        counterparts=args.counterparts or (),
                                        description=args.description or "")
        return _show(created, args, out, _print_secret)
    if action == "rotate-secret":
        return _show(client.rotate_webhook_secret(args.id), args, out, _print_secret)
    if action in ("show", "update"):
        view = client.get_webhook(args.id) if action == "show" else \
            client.update_webhook(args.id, **_changes(args))
        return _show(view, args, out, _print_view)
    if action == "list":
        page = client.list_webhooks(cursor=args.cursor, limit=args.limit)
        _more(page, "lgsp webhooks list")
        return _show(page, args, out, _print_hooks)
    if action == "attempts":
        page = client.webhook_attempts(args.id, cursor=args.cursor, limit=args.limit)
        _more(page, f"lgsp webhooks attempts {args.id}")
        return _show(page, args, out, _print_attempts)
    if action == "dead-letters":
        page = client.webhook_dead_letters(args.id, cursor=args.cursor, limit=args.limit)
        _more(page, f"lgsp webhooks dead-letters {args.id}")
        return _show(page, args, out, lambda p, o: _print_dead(p, args.id, o))
    if action == "remove":
        return _show(client.remove_webhook(args.id), args, out,
                     lambda a, o: print(f"{a.get('id', args.id)} removed", file=o))
    if action == "redeliver":
        queued = client.redeliver_webhook(args.id, None if args.all else args.event_id)
        return _show(queued, args, out, lambda a, o: print(
            f"queued {a.get('queued', 0)}: see lgsp webhooks attempts {args.id}", file=o))
    if action == "ping":
        return _show(client.ping_webhook(args.id), args, out, lambda a, o: print(
            f"ping queued: {a.get('event_id')}: see lgsp webhooks attempts {args.id}",
            file=o))
    raise AssertionError(f"unhandled webhooks action {action}")


def run_listen(args: argparse.Namespace, out: TextIO, *,
               environ: Mapping[str, str] | None = None,
               started: Callable[[ThreadingHTTPServer], None] | None = None) -> int:
    """Serve until interrupted (Ctrl-C) or `shutdown()` (tests get the server from
    `started`); one line on `out` per delivery, flushed at once for pipes."""
    env = os.environ if environ is None else environ
    secrets = args.secrets or ([env[SECRET_VARIABLE]] if env.get(SECRET_VARIABLE) else [])
    if not secrets:
        raise UsageError(f"webhooks listen: give --secret whsec_… (or set {SECRET_VARIABLE})")
    if not all(s.startswith("whsec_") for s in secrets):
        raise UsageError("webhooks listen: a secret is whsec_… as the hub answered it")
    lock = threading.Lock()

    def emit(delivery: Delivery) -> None:
        with lock:
            print(delivery.line(show_data=args.show_data), file=out, flush=True)

    server = make_server(Receiver(secrets), args.host, args.port, emit)
    print(f"listening on http://{args.host}:{server.server_port}/ with {len(secrets)} "
          "secret(s); Ctrl-C stops", file=sys.stderr, flush=True)
    if started is not None:
        started(server)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
