"""`lgsp notices` and `lgsp admin notices publish|list|cancel`: maintenance notices from a
shell (R-OPS-4, the hub's docs/notices.md).

Times are ISO-8601 with an offset (`2026-12-01T22:00:00+07:00`, `...Z`) or
`YYYY-MM-DD HH:MM` in the province's time (Asia/Ho_Chi_Minh, UTC+7 all year).
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.errors import ConfigError
from lgsp_client.render import notice_lines, print_current_notices, print_notice_history
from lgsp_client.reports import PROVINCE_TIME

SEVERITIES = ("info", "maintenance", "outage")
SERVICES = ("exchange", "realtime", "directory", "registry", "sso", "sessions", "reports",
            "console", "all")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_time(value: str) -> datetime.datetime:
    """`2026-12-01 22:00` (the province's time) or ISO-8601 with its offset -> an aware
    datetime. An ISO time without offset is read as the province's time too."""
    text = value.strip()
    for layout in _LOCAL_FORMATS:
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=PROVINCE_TIME)
        except ValueError:
            pass
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid time {value!r}: use 'YYYY-MM-DD HH:MM' (Asia/Ho_Chi_Minh) "
                         "or ISO-8601 with its offset, e.g. 2026-12-01T22:00:00+07:00"
                         ) from None
    if "T" not in text:
        raise ValueError(f"invalid time {value!r}: a date needs its time, "
                         "e.g. '2026-12-01 22:00'")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PROVINCE_TIME)


def _time(value: str) -> datetime.datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_notices_command(sub: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp notices`: the current notices, for any app or person."""
    current = sub.add_parser("notices", parents=[common],
                             help="maintenance notices now and in the coming week")
    current.add_argument("--json", action="store_true", help="print the hub's answer")


def add_notices_area(areas: Any, common: argparse.ArgumentParser) -> None:
    """`lgsp admin notices publish|list|cancel` (operators)."""
    area = areas.add_parser("notices", parents=[common],
                            help="operators: publish and cancel maintenance notices")
    actions = area.add_subparsers(dest="notices_command", required=True, metavar="ACTION")
    publish = actions.add_parser("publish", parents=[common],
                                 help="tell every unit (those online at once)")
    publish.add_argument("--title", required=True, help="one line, at most 200 characters")
    text = publish.add_mutually_exclusive_group(required=True)
    text.add_argument("--body", help="plain text, at most 4,000 characters")
    text.add_argument("--body-file", type=Path, metavar="FILE", help="the body from a "
                      "UTF-8 text file")
    publish.add_argument("--severity", choices=SEVERITIES, default="maintenance",
                         help="default maintenance")
    publish.add_argument("--from", dest="starts_at", type=_time, metavar="TIME",
                         help="when it starts (default: now)")
    publish.add_argument("--until", dest="ends_at", type=_time, metavar="TIME",
                         required=True, help="when it ends (at most 30 days after it starts)")
    publish.add_argument("--service", action="append", choices=SERVICES, dest="services",
                         metavar="SERVICE", help=f"affected (repeat; default all): "
                                                 f"{', '.join(SERVICES)}")
    publish.add_argument("--json", action="store_true", help="print the hub's answer")
    listing = actions.add_parser("list", parents=[common],
                                 help="every notice, newest first")
    listing.add_argument("--limit", type=int, metavar="N")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.add_argument("--json", action="store_true", help="print the raw JSON page")
    cancel = actions.add_parser("cancel", parents=[common],
                                help="call off an upcoming or active notice")
    cancel.add_argument("id", metavar="ID")
    cancel.add_argument("--json", action="store_true", help="print the hub's answer")


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)


def run_notices(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    answer = client.notices()
    if args.json:
        _dump(answer, out)
    else:
        print_current_notices(answer, out)
    return 0


def _body(args: argparse.Namespace) -> str:
    if args.body_file is None:
        return str(args.body)
    try:
        return str(args.body_file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{args.body_file} is not UTF-8 text") from exc


def run_admin_notices(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    action = args.notices_command
    if action == "list":
        page = client.list_notices(cursor=args.cursor, limit=args.limit)
        if args.json:
            _dump(page, out)
        else:
            print_notice_history(page, out)
            if page.get("next_cursor"):
                print(f"more: lgsp admin notices list --cursor {page['next_cursor']}",
                      file=out)
        return 0
    if action == "publish":
        notice = client.publish_notice(args.title, _body(args), args.severity,
                                       ends_at=args.ends_at, starts_at=args.starts_at,
                                       services=args.services)
    elif action == "cancel":
        notice = client.cancel_notice(args.id)
    else:
        raise AssertionError(f"unhandled notices action {action}")
    if args.json:
        _dump(notice, out)
        return 0
    print(f"{notice['id']} {notice['state']}", file=out)
    for line in notice_lines(notice):
        print(line, file=out)
    return 0
