"""`lgsp`: send, receive and follow documents through the LGSP hub from a shell.

Exit codes: 0 done, 1 error (printed as `error: <code>: <message>`; for `watch` also a
refused handshake, such as 401 `signature_invalid`), 2 usage error (argparse's, or
`error: usage: ...` for one found after parsing; `edxml inspect`: 1 is the package's
problems, 2 any error), 3 the downloaded
content did not match its SHA-256 (the hub was told; nothing was kept), 4 `lgsp login`
was refused in the browser, 5 its code expired before anyone approved it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.cli_admin import add_admin_commands, run_admin
from lgsp_client.cli_catalogue import add_services_command, run_services
from lgsp_client.cli_directory import add_directory_commands, run_directory, run_groups
from lgsp_client.cli_edxml import add_edxml_commands, error_exit, run_edxml, send_edxml
from lgsp_client.cli_keys import add_key_commands, is_local, run_keys, run_local
from lgsp_client.cli_notices import add_notices_command, run_notices
from lgsp_client.cli_report import add_report_commands, check_report, run_report
from lgsp_client.cli_sso import COMMANDS as SSO_COMMANDS, Device, add_sso_commands, connect, run_sso
from lgsp_client.cli_status import add_status_commands, run_status
from lgsp_client.cli_webhooks import add_webhooks_command, is_listen, run_listen, run_webhooks
from lgsp_client.errors import ChecksumMismatchError, LgspError, UsageError, describe
from lgsp_client.exchange import fetch_file, send_file
from lgsp_client.options import (
    argument_type as _arg_type,
    parse_duration,
    parse_part_size_mib,
    parse_priority,
)
from lgsp_client.render import (
    fetched_line,
    print_inbox,
    print_outbox,
    print_status,
    print_time,
)
from lgsp_client.transfer import DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE
from lgsp_client.watch import MAX_BACKOFF, Watcher

EXIT_ERROR, EXIT_USAGE, EXIT_CHECKSUM = 1, 2, 3
SIGNED_FREE = {"time"}


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"must be at least 1: {value}")
    return number


def _page_size(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 200:
        raise ValueError(f"must be 1 to 200: {value}")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not 1 <= number <= 3600:
        raise ValueError(f"must be 1 to 3600 seconds: {value}")
    return number


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The same options before or after the command; after it, they only override."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--profile", default=default,
                        help="profile in ~/.lgsp/credentials (else LGSP_PROFILE or default)")
    parser.add_argument("--endpoint", default=default,
                        help="hub URL, e.g. https://lgsp.example.gov.vn/prod")
    parser.add_argument("--no-progress", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="no progress (a bar on a terminal, else a line every 10%% "
                             "or 10 s on stderr)")
    parser.add_argument("--as-person", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="act as the person signed in with lgsp login (Bearer token), "
                             "not as the profile's app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lgsp", description="Exchange documents through the LGSP hub.")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    send = sub.add_parser("send", parents=[common], help="send a file to one or more units")
    send.add_argument("file", type=Path, metavar="FILE", nargs="?")
    send.add_argument("--edxml", type=Path, metavar="PKG.xml",
                      help="send an edXML package: checked by the hub first; destinations "
                           "(unless --to), title and priority from its header")
    send.add_argument("--to", action="append", metavar="UNIT",
                      help="destination unit code (repeat for several)")
    send.add_argument("--title")
    send.add_argument("--priority", type=_arg_type(parse_priority, "priority"),
                      help="hoa_toc | thuong_khan | khan | thuong (Vietnamese labels too; "
                           "default thuong)")
    send.add_argument("--data-type", default="document", help="document, dossier, data, ...")
    send.add_argument("--protocol", help="file (default), edxml, json, ...")
    send.add_argument("--confirm-within", type=_arg_type(parse_duration, "duration"),
                      metavar="DURATION", help="deadline to confirm: 3d, 12h, 90m or seconds")
    send.add_argument("--part-size", type=_arg_type(parse_part_size_mib, "MiB"),
                      default=DEFAULT_PART_SIZE, metavar="MiB",
                      help=f"upload part size in MiB (default {DEFAULT_PART_SIZE >> 20})")
    send.add_argument("--concurrency", type=_arg_type(_positive, "N"),
                      default=DEFAULT_CONCURRENCY, metavar="N",
                      help=f"parts uploaded at once (default {DEFAULT_CONCURRENCY})")
    send.add_argument("--new", action="store_true",
                      help="always a new message (do not resume an earlier identical send)")

    for name, what in (("inbox", "messages waiting for your unit"),
                       ("outbox", "messages your unit sent")):
        page = sub.add_parser(name, parents=[common], help=what)
        page.add_argument("--json", action="store_true", help="print the raw JSON page")
        page.add_argument("--limit", type=_arg_type(_page_size, "N"), metavar="N")
        page.add_argument("--cursor", help="next_cursor of the previous page")

    status = sub.add_parser("status", parents=[common], help="state, deliveries and trace")
    status.add_argument("id", metavar="ID")
    status.add_argument("--json", action="store_true")

    fetch = sub.add_parser("fetch", parents=[common],
                           help="download, verify SHA-256 and confirm a message")
    fetch.add_argument("id", metavar="ID")
    fetch.add_argument("-o", "--output", type=Path, metavar="PATH",
                       help="file or directory to write (default: the sender's file name "
                            "in the current directory, never overwriting)")
    fetch.add_argument("--concurrency", type=_arg_type(_positive, "N"),
                       default=DEFAULT_CONCURRENCY, metavar="N",
                       help=f"parts downloaded at once (default {DEFAULT_CONCURRENCY})")

    reject = sub.add_parser("reject", parents=[common], help="refuse a message")
    reject.add_argument("id", metavar="ID")
    reject.add_argument("--reason", required=True)

    add_status_commands(sub, common)
    _add_watch(sub, common)
    add_sso_commands(sub, common)
    sub.add_parser("time", parents=[common], help="the hub's clock and yours")
    add_key_commands(sub, common)
    add_admin_commands(sub, common)
    add_directory_commands(sub, common)
    add_report_commands(sub, common)
    add_notices_command(sub, common)
    add_services_command(sub, common)
    add_webhooks_command(sub, common)
    add_edxml_commands(sub, common)
    return parser


def check_send(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`send FILE --to --title`, or `send --edxml PKG` whose header gives the rest."""
    if args.command != "send":
        return
    if args.edxml is None:
        missing = [name for name, value in (("FILE", args.file), ("--to", args.to),
                                            ("--title", args.title)) if not value]
        if missing:
            parser.error(f"send: the following arguments are required: {', '.join(missing)}")
        return
    taken = [name for name, value in (("FILE", args.file), ("--title", args.title),
                                      ("--priority", args.priority),
                                      ("--protocol", args.protocol)) if value is not None]
    if taken:
        parser.error(f"send --edxml: {', '.join(taken)} not allowed: the package is the "
                     "file, its header gives the title and priority, the protocol is edxml")


def _add_watch(sub: Any, common: argparse.ArgumentParser) -> None:
    watch = sub.add_parser("watch", parents=[common],
                           help="live notifications over a WebSocket (Ctrl-C to stop)")
    watch.add_argument("--json", action="store_true",
                       help="each frame from the hub as one JSON line")
    watch.add_argument("--auto-fetch", type=Path, metavar="DIR",
                       help="download, verify and confirm each new message into DIR")
    watch.add_argument("--ws-url", metavar="URL",
                       help="WebSocket URL (default: the hub's health, else ENDPOINT/ws)")
    watch.add_argument("--max-backoff", type=_arg_type(_seconds, "seconds"),
                       default=MAX_BACKOFF, metavar="SECONDS",
                       help=f"longest pause between reconnects (default {MAX_BACKOFF:g})")
    watch.add_argument("--once", action="store_true",
                       help="connect, print the summary (fetch it with --auto-fetch), exit")


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)


def _send(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.edxml is not None:
        return send_edxml(client, args, out, _note)
    result = send_file(client, args.file, to=args.to, title=args.title,
                       priority=args.priority or "thuong",
                       data_type=args.data_type, protocol=args.protocol or "file",
                       confirm_within=args.confirm_within, part_size=args.part_size,
                       concurrency=args.concurrency, progress=not args.no_progress,
                       new=args.new, note=_note)
    print(f"{result.message['id']} {result.message['state']}", file=out)
    for old, new in (result.message.get("rerouted") or {}).items():
        _note(f"{old} → {new}: {old} was re-organised; its successor receives the message")
    return 0


def _fetch(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    result = fetch_file(client, args.id, args.output, progress=not args.no_progress,
                        concurrency=args.concurrency, note=_note)
    print(fetched_line(result), file=out)
    return 0


def _watch(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Run a `Watcher` whose two threads (socket, downloads) share stdout and stderr,
    one whole line at a time, flushed at once for pipes."""
    if args.auto_fetch is not None and not args.auto_fetch.is_dir():
        raise LgspError(f"the directory {args.auto_fetch} does not exist",
                        code="no_such_directory")
    lock = threading.Lock()

    def emit(line: str) -> None:
        with lock:
            print(line, file=out, flush=True)

    def note(line: str) -> None:
        with lock:
            print(line, file=sys.stderr, flush=True)

    return Watcher(client, emit=emit, note=note, as_json=args.json, ws_url=args.ws_url,
                   auto_fetch=args.auto_fetch, once=args.once, max_backoff=args.max_backoff,
                   progress=not args.no_progress).run()


Handler = Callable[[LgspClient, argparse.Namespace, TextIO], int]
HANDLERS: dict[str, Handler] = {"send": _send, "fetch": _fetch, "watch": _watch,
                                "directory": run_directory, "groups": run_groups,
                                "keys": run_keys, "admin": run_admin, "report": run_report,
                                "notices": run_notices, "status-reply": run_status,
                                "status-replies": run_status, "services": run_services,
                                "webhooks": run_webhooks}


def run(args: argparse.Namespace, client: LgspClient, out: TextIO) -> int:
    """Carry out one parsed command."""
    command = args.command
    handler = HANDLERS.get(command)
    if handler is not None:
        return handler(client, args, out)
    if command in ("inbox", "outbox"):
        call = client.inbox if command == "inbox" else client.outbox
        page = call(cursor=args.cursor, limit=args.limit)
        if args.json:
            _dump(page, out)
        else:
            (print_inbox if command == "inbox" else print_outbox)(page, out)
            if page.get("next_cursor"):
                _note(f"more: lgsp {command} --cursor {page['next_cursor']}")
        return 0
    if command == "status":
        data = client.message_status(args.id, every_page=True)
        if args.json:
            _dump(data, out)
        else:
            print_status(data, out)
        return 0
    if command == "reject":
        delivery = client.reject(args.id, args.reason)
        print(f"{args.id} {delivery.get('state', 'rejected')}", file=out)
        return 0
    if command == "time":
        print_time(client, out)
        return 0
    raise AssertionError(f"unhandled command {command}")


def _hint(exc: LgspError) -> str:
    if exc.code == "idempotency_conflict":
        return (" (an identical send with other options exists; add --new to send it as a "
                "new message)")
    return ""


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         device: Device | None = None) -> int:
    """Entry point of the `lgsp` console script; returns the exit code. `device` is how
    `lgsp login` waits and opens a browser (tests pass their own)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_send(parser, args)
    stdout = out or sys.stdout
    try:
        if is_local(args):
            return run_local(args, stdout)
        if is_listen(args):
            return run_listen(args, stdout)
        if args.command == "edxml":  # build needs no hub; inspect has exit codes of its own
            return run_edxml(args, stdout, lambda: connect(args, require_keys=True))
        if args.command in SSO_COMMANDS:
            return run_sso(args, stdout, device)
        if args.command == "report":
            check_report(args, stdout)
        client = connect(args, require_keys=args.command not in SIGNED_FREE)
        return run(args, client, stdout)
    except UsageError as exc:
        print(f"error: {describe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ChecksumMismatchError as exc:
        print(f"error: {describe(exc)}", file=sys.stderr)
        return EXIT_CHECKSUM
    except LgspError as exc:
        print(f"error: {describe(exc)}{_hint(exc)}", file=sys.stderr)
        return error_exit(args) or EXIT_ERROR
    except OSError as exc:
        print(f"error: io: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return error_exit(args) or EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
