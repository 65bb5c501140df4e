"""`lgsp report unit|province|ranking|history|connections`: the hub's reports from a shell
(R-PROP-11, R-PROP-12).

`--format table` (the default on a terminal) prints aligned tables; `json` (the default
into a pipe or a file) the hub's answer; `csv` and `xlsx` the hub's own export bytes,
saved as they are. `--output FILE` is written whole or not at all (a temporary file
beside it, renamed). The period is the current month unless `--period`/`--date` or
`--from`/`--to` say otherwise; the hub checks the values themselves.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from lgsp_client import reports
from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspError, UsageError
from lgsp_client.options import parse_priority
from lgsp_client.render_reports import (
    print_connections,
    print_figures,
    print_history,
    print_ranking,
)

FORMATS = ("table", "json", "csv", "xlsx")
PRINTERS = {"unit": print_figures, "province": print_figures, "ranking": print_ranking,
            "history": print_history, "connections": print_connections}


def _number(low: int, high: int | None = None) -> Any:
    def convert(value: str) -> int:
        if not value.isdigit() or int(value) < low or (high and int(value) > high):
            shown = f"{low} to {high}" if high else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {shown}: {value}")
        return int(value)
    convert.__name__ = "N"
    return convert


def _priority(value: str) -> str:
    try:
        return parse_priority(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _options(parser: argparse.ArgumentParser) -> None:
    period = parser.add_argument_group("period (default: this month, province time)")
    period.add_argument("--period", choices=reports.KINDS,
                        help="day | month | quarter | year, with --date; range with "
                             "--from and --to")
    period.add_argument("--date", metavar="D",
                        help="2026-11-29 | 2026-11 | 2026-Q4 | 2026 (default: the current one)")
    period.add_argument("--from", dest="first", metavar="YYYY-MM-DD",
                        help="first day of a range (implies --period range)")
    period.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day of a range")
    parser.add_argument("--format", choices=FORMATS,
                        help="table (default on a terminal), json (default otherwise), "
                             "csv or xlsx (the hub's exports)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write to FILE (replaced whole) instead of stdout; its "
                             ".csv/.xlsx/.json suffix sets the format if --format does not")


def add_report_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `report unit|province|ranking|history|connections`."""
    report = sub.add_parser("report", parents=[common],
                            help="a unit's or the province's figures for a period")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    unit = kinds.add_parser("unit", parents=[common],
                            help="a unit's totals, by priority, latency and per day")
    unit.add_argument("code", metavar="CODE")
    kinds.add_parser("province", parents=[common], help="operators: the whole province")
    ranking = kinds.add_parser("ranking", parents=[common], help="operators: units ranked")
    ranking.add_argument("--by", choices=("sent", "received", "failures"),
                         help="default sent")
    ranking.add_argument("--limit", type=_number(1), metavar="N", help="the first N")
    history = kinds.add_parser("history", parents=[common],
                               help="a unit's exchanges, one line per event")
    history.add_argument("code", metavar="CODE")
    history.add_argument("--direction", choices=("sent", "received"),
                         help="only what the unit sent, or only what it received")
    history.add_argument("--counterpart", metavar="CODE", help="only with this unit")
    history.add_argument("--event", choices=("sent", "received", "rejected", "expired"),
                         help="only this event")
    history.add_argument("--priority", type=_priority,
                         help="hoa_toc | thuong_khan | khan | thuong (Vietnamese labels too)")
    history.add_argument("--limit", type=_number(1, 200), metavar="N", help="page size")
    history.add_argument("--cursor", help="next_cursor of the previous page")
    history.add_argument("--all", action="store_true",
                         help="every page (from --cursor on), not only one")
    connections = kinds.add_parser("connections", parents=[common],
                                   help="a unit's time online and its connections")
    connections.add_argument("code", metavar="CODE")
    for parser in kinds.choices.values():
        _options(parser)


def chosen_format(args: argparse.Namespace, out: TextIO) -> str:
    if args.format:
        return str(args.format)
    if args.output is not None:
        suffix = args.output.suffix.lower().lstrip(".")
        return suffix if suffix in ("json", "csv", "xlsx") else "json"
    return "table" if out.isatty() else "json"


def period_of(args: argparse.Namespace) -> reports.Period:
    """The period asked for; refuses only what cannot mean anything (the hub checks the
    values and answers 400 `invalid_period`)."""
    ranged = args.first is not None or args.last is not None
    kind = args.period or ("range" if ranged else "month")
    if kind != "range":
        if ranged:
            raise UsageError(f"--from and --to make a range: drop --period {kind}, "
                             "or use --date")
        return reports.Period(kind, args.date) if args.date \
            else reports.Period.current(kind)
    if args.date is not None:
        raise UsageError("a range takes --from and --to, not --date")
    if args.first is None or args.last is None:
        raise UsageError("a range needs both --from and --to (YYYY-MM-DD)")
    return reports.Period("range", first=args.first, last=args.last)


def check_report(args: argparse.Namespace, out: TextIO) -> None:
    """Usage errors found before any call (exit 2)."""
    period_of(args)
    fmt = chosen_format(args, out)
    if fmt in reports.EXPORTS and args.report == "history" and (args.cursor or args.limit):
        raise UsageError("--cursor and --limit page the table or JSON; the csv and xlsx "
                         "exports hold every row (up to the hub's cap)")
    if fmt == "xlsx" and args.output is None and out.isatty():
        raise UsageError("xlsx is a binary file: give --output FILE (or redirect stdout)")


def _report(args: argparse.Namespace) -> reports.Report:
    period = period_of(args)
    if args.report == "province":
        return reports.province(period)
    if args.report == "ranking":
        return reports.ranking(period, by=args.by, limit=args.limit)
    if args.report == "history":
        return reports.history(args.code, period, direction=args.direction,
                               counterpart=args.counterpart, event=args.event,
                               priority=args.priority)
    return (reports.unit if args.report == "unit" else reports.connections)(args.code, period)


def write_atomically(target: Path, data: bytes) -> None:
    """`target` holds all of `data` or is left as it was: a temporary file (0600) beside
    it, synced, then renamed over it."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _to_stdout(data: bytes, out: TextIO) -> None:
    """The bytes as they are when the stream has a binary side, else (a text-only
    stream, such as a test's) the UTF-8 text of a CSV."""
    binary = getattr(out, "buffer", None)
    if binary is not None:
        out.flush()
        binary.write(data)
        binary.flush()
        return
    try:
        out.write(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise LgspError("this output takes text only: give --output FILE",
                        code="binary_output") from None


def _text(client: LgspClient, args: argparse.Namespace, report: reports.Report,
          fmt: str) -> str:
    answer = _answer(client, args, report)
    if fmt == "json":
        return json.dumps(answer, ensure_ascii=False, indent=2) + "\n"
    if args.report == "history" and answer.get("next_cursor"):
        print(f"more: add --cursor {answer['next_cursor']} (or --all)", file=sys.stderr)
    rendered = io.StringIO()
    PRINTERS[args.report](answer, rendered)
    return rendered.getvalue()


def _answer(client: LgspClient, args: argparse.Namespace,
            report: reports.Report) -> dict[str, Any]:
    if args.report != "history":
        return reports.get(client, report)
    if args.all:
        return reports.every_page(client, report, cursor=args.cursor,
                                  page_size=args.limit or reports.ALL_PAGE)
    return reports.get(client, report, cursor=args.cursor, limit=args.limit)


def run_report(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `report`: fetch it in the chosen format, print or save it."""
    fmt = chosen_format(args, out)
    report = _report(args)
    if fmt in reports.EXPORTS:
        data = reports.export(client, report, fmt).data
        if args.output is None:
            _to_stdout(data, out)
            return 0
    else:
        text = _text(client, args, report, fmt)
        if args.output is None:
            out.write(text)
            return 0
        data = text.encode("utf-8")
    write_atomically(args.output, data)
    print(f"{args.output} ({len(data)} bytes, {fmt})", file=out)
    return 0
