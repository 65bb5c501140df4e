"""`lgsp edxml build|inspect` and `lgsp send --edxml`: edXML packages from a shell (the
hub's docs/edxml.md).

`build` writes a package from options or `--metadata meta.json` and files, here, without
the hub (it asks the hub's directory only for unit names not given). `inspect` cuts the
package's header out (attachments never leave the machine), has the hub check it, and
prints a summary with the attachments listed from the file: exit 0 valid, 1 problems (the
hub's, each naming its element; or a header the hub cannot read), 2 error (the hub
unreachable, a file missing, ...). `send --edxml` checks the same way first and sends
nothing when there are problems.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.edxml_build import (
    BUSINESS,
    PackageSpec,
    build_package,
    business_doc_type,
    edxml_priority,
    package_spec,
    require,
)
from lgsp_client.edxml_header import (
    AttachmentInfo,
    HeaderTooLargeError,
    cut_header,
    list_attachments,
)
from lgsp_client.errors import LgspApiError, LgspError, UsageError
from lgsp_client.exchange import send_file
from lgsp_client.options import human_size
from lgsp_client.progress import meter

EXIT_VALID, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
Connect = Callable[[], LgspClient]
# option -> metadata key, for the options that map one to one
OPTIONS = {"from_code": "from", "from_name": "from_name", "to": "to", "subject": "subject",
           "code_number": "code_number", "code_notation": "code_notation",
           "document_type": "document_type", "type_name": "type_name",
           "type_detail": "type_detail", "place": "place", "content": "content",
           "promulgation_date": "promulgation_date", "due_date": "due_date",
           "priority": "priority", "steering_type": "steering_type",
           "business_doc_type": "business_doc_type", "reason": "business_doc_reason",
           "document_id": "document_id"}


def _choice(parse: Callable[[str], str]) -> Callable[[str], str]:
    def convert(value: str) -> str:
        try:
            return parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = parse.__name__
    return convert


def add_edxml_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    area = sub.add_parser("edxml", parents=[common], help="edXML packages: build, inspect")
    actions = area.add_subparsers(dest="edxml_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", parents=[common], help="write a package from "
                               "metadata and files (here, without the hub)")
    build.add_argument("--metadata", type=Path, metavar="FILE",
                       help="JSON of the package's values (options below win over it)")
    build.add_argument("--from", dest="from_code", metavar="CODE", help="the sending unit")
    build.add_argument("--from-name", help="its name (default: the hub's directory)")
    build.add_argument("--to", action="append", metavar="CODE", help="a destination unit "
                       "(repeat for several)")
    for name, what in (("--subject", "trích yếu"), ("--code-number", "số: 1234"),
                       ("--code-notation", "ký hiệu: QĐ-UBND"),
                       ("--document-type", "the type's number"),
                       ("--type-name", "the type's name: Quyết định, Công văn, ..."),
                       ("--type-detail", None), ("--place", "where promulgated: Bắc Giang"),
                       ("--content", "a summary of the content"),
                       ("--promulgation-date", "yyyy/MM/dd (default: today in Vietnam)"),
                       ("--due-date", "yyyy/MM/dd, or yyyy/MM/dd HH:mm:ss (Priority 4)"),
                       ("--document-id", "default: {from},{date},{number/notation}")):
        build.add_argument(name, help=what)
    build.add_argument("--priority", type=_choice(edxml_priority), metavar="0-4",
                       help="0 Thường (default), 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc, "
                            "4 Hỏa tốc hẹn giờ (at --due-date)")
    build.add_argument("--steering-type", choices=("0", "1", "2"),
                       help="0 not a directive (default), 1 a directive, 2 a report")
    build.add_argument("--business-doc-type", type=_choice(business_doc_type),
                       metavar="|".join(BUSINESS), help="new (default), recall, update, "
                       "replace (these need --reason)")
    build.add_argument("--reason", help="why a recall, update or replace")
    build.add_argument("--file", action="append", type=Path, metavar="PATH",
                       help="an attachment (repeat for several)")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="PKG.xml")
    inspect = actions.add_parser("inspect", parents=[common], help="the hub's check of a "
                                 "package's header, and its summary (attachments stay here)")
    inspect.add_argument("package", type=Path, metavar="PKG.xml")
    inspect.add_argument("--to", action="append", metavar="CODE",
                         help="a destination you mean (repeat): every To must be one")
    inspect.add_argument("--json", action="store_true", help="the hub's answer and the "
                         "attachments as JSON")


# -- build --------------------------------------------------------------------------------

def _metadata(args: argparse.Namespace) -> tuple[dict[str, Any], Path]:
    data: dict[str, Any] = {}
    base = Path()
    if args.metadata is not None:
        try:
            data = json.loads(args.metadata.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{args.metadata} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{args.metadata}: a JSON object of the package's values")
        base = args.metadata.parent
    for option, key in OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            data[key] = value
    if args.file:
        data["files"] = [str(Path.cwd() / f) for f in args.file]
    return data, base


class _Directory:
    """Unit names from the hub's directory, best effort: one client, asked once per code
    with no retry; once the hub cannot be asked (no profile, unreachable, refused),
    nothing more is."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._client: LgspClient | None = None
        self._off = False

    def name(self, code: str) -> str | None:
        if self._off:
            return None
        try:
            if self._client is None:
                self._client = self._connect()
                self._client.attempts = 1
            entry = self._client.call("GET", f"/v1/directory/{urllib.parse.quote(code, '')}")
            return str(entry["name"])
        except LgspApiError as exc:
            self._off = exc.status != 404  # an unknown code: the others may be known
        except (LgspError, KeyError, TypeError):
            self._off = True
        return None


def _with_names(data: dict[str, Any], directory: _Directory) -> None:
    """Names not given, from the hub's directory: the sender's (required) and the
    destinations' (best effort)."""
    code = data.get("from")
    if isinstance(code, str) and not data.get("from_name"):
        name = directory.name(code)
        if name is None:
            raise UsageError(f"give --from-name: the hub's directory could not be asked for "
                             f"{code}'s name (no profile, or the hub unreachable)")
        data["from_name"] = name
    to = data.get("to")
    if isinstance(to, list) and all(isinstance(t, str) for t in to):
        names = [directory.name(t) for t in to]
        data["to"] = [{"organ_id": t, **({"organ_name": n} if n else {})}
                      for t, n in zip(to, names, strict=True)]


def run_build(args: argparse.Namespace, out: TextIO, connect: Connect) -> int:
    data, base = _metadata(args)
    require(data, but=("from_name",))  # what is missing, before asking the hub anything
    _with_names(data, _Directory(connect))
    spec: PackageSpec = package_spec(data, base=base)
    built = build_package(spec, args.output, progress=not args.no_progress)
    size = args.output.stat().st_size
    print(f"{args.output}: {len(built)} attachment(s), {human_size(size)}", file=out)
    for a in built:
        print(f"  {a.content_id}  {a.name}  {human_size(a.size)}  sha256 {a.sha256}", file=out)
    print(f"check it: lgsp edxml inspect {args.output}", file=sys.stderr)
    return 0


# -- inspect ------------------------------------------------------------------------------

def check_package(client: LgspClient, path: Path, to: Sequence[str]) -> dict[str, Any]:
    """The hub's answer on the package's header; a header it cannot read, as a problem."""
    with path.open("rb") as f:
        document = cut_header(f).document
    try:
        return client.check_edxml(document, to)
    except LgspApiError as exc:
        if exc.status != 400 or not exc.code.startswith("edxml_"):
            raise
        element = str(exc.details.get("element") or "/")
        return {"valid": False, "header": None, "message": None,
                "problems": [{"code": exc.code, "element": element, "message": exc.message}]}


def _attachments(path: Path, progress: bool) -> list[AttachmentInfo]:
    with path.open("rb") as f, meter(path.stat().st_size, "reading", progress) as bar:
        return list_attachments(f, on_read=bar.update)


def print_problems(problems: Sequence[dict[str, Any]], out: TextIO) -> None:
    print(f"{len(problems)} problem(s):", file=out)
    for p in problems:
        print(f"  {p['element']}: {p['code']}: {p['message']}", file=out)


def _line(label: str, *values: Any) -> str:
    shown = " ".join(str(v) for v in values if v not in (None, ""))
    return f"{label:<13}{shown or '-'}"


def print_summary(path: Path, answer: dict[str, Any], attachments: list[AttachmentInfo],
                  out: TextIO) -> None:
    h = answer.get("header") or {}
    lines = [_line("package", path, f"({human_size(path.stat().st_size)})")]
    sender = h.get("from") or {}
    lines.append(_line("from", sender.get("organ_id"), sender.get("organ_name")))
    for n, to in enumerate(h.get("to") or [{}]):
        lines.append(_line("to" if n == 0 else "", to.get("organ_id"), to.get("organ_name")))
    code = "/".join(c for c in (h.get("code_number"), h.get("code_notation")) if c)
    lines += [_line("code", code), _line("type", h.get("document_type"),
                                         h.get("document_type_name")),
              _line("subject", h.get("subject")),
              _line("promulgated", h.get("promulgation_date"), h.get("place")),
              _line("priority", h.get("priority"), h.get("priority_name")),
              _line("due date", h.get("due_date")),
              _line("steering", h.get("steering_type"), h.get("steering_type_name")),
              _line("business", h.get("business_doc_type"), h.get("business_doc_type_name"),
                    h.get("business_doc_reason")),
              _line("document id", h.get("document_id"))]
    for n, a in enumerate(attachments or [None]):
        shown = (a.name, a.content_type, human_size(a.size), a.content_id) if a else ()
        lines.append(_line("attachments" if n == 0 else "", *shown))
    print("\n".join(lines), file=out)


def _verdict(answer: dict[str, Any], out: TextIO) -> int:
    if not answer["valid"]:
        print_problems(answer["problems"], out)
        return EXIT_PROBLEMS
    m = answer["message"]
    held = f", held until {m['deliver_at']}" if m.get("deliver_at") else ""
    due = f", deadline {m['deadline']}" if m.get("deadline") else ""
    print(f"valid: the hub sends it titled {m['title']!r}, priority {m['priority']}{held}"
          f"{due}, to {', '.join(m['destinations'])}", file=out)
    return EXIT_VALID


def _refused(answer: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    """The answer with one more problem, found here reading the file."""
    problem = {"code": code, "element": "/", "message": message}
    return {"header": None, **answer, "valid": False, "message": None,
            "problems": [*answer.get("problems", []), problem]}


def _inspected(args: argparse.Namespace, connect: Connect
               ) -> tuple[dict[str, Any], list[AttachmentInfo]]:
    try:
        answer = check_package(connect(), args.package, args.to or [])
    except HeaderTooLargeError as exc:
        return _refused({}, exc.code, exc.message), []
    if answer.get("header") is None:
        return answer, []
    try:
        return answer, _attachments(args.package, not args.no_progress)
    except LgspError as exc:  # after the header: the stored package's check refuses it
        return _refused(answer, exc.code, f"{exc.message} (after the header: the hub "
                        "refuses the package when it reads it whole)"), []


def error_exit(args: argparse.Namespace) -> int | None:
    """The exit code of an error for `inspect`, whose 1 means problems (None: another
    command, the CLI's own codes)."""
    inspecting = args.command == "edxml" and args.edxml_command == "inspect"
    return EXIT_ERROR if inspecting else None


def run_inspect(args: argparse.Namespace, out: TextIO, connect: Connect) -> int:
    answer, attachments = _inspected(args, connect)
    if args.json:
        print(json.dumps({"file": str(args.package), **answer, "attachments": [
            vars(a) for a in attachments]}, ensure_ascii=False, indent=2), file=out)
        return EXIT_VALID if answer["valid"] else EXIT_PROBLEMS
    if answer.get("header") is not None:
        print_summary(args.package, answer, attachments, out)
    return _verdict(answer, out)


def run_edxml(args: argparse.Namespace, out: TextIO, connect: Connect) -> int:
    if args.edxml_command == "build":
        return run_build(args, out, connect)
    return run_inspect(args, out, connect)


# -- send --edxml -------------------------------------------------------------------------

def send_edxml(client: LgspClient, args: argparse.Namespace, out: TextIO,
               note: Callable[[str], None]) -> int:
    """Check the package's header with the hub (refusing here, sending nothing, when it
    has problems), then send it with the values the hub will take from it."""
    answer = check_package(client, args.edxml, args.to or [])
    if not answer["valid"]:
        print_problems(answer["problems"], sys.stderr)
        raise LgspError(f"{args.edxml} is not a package the hub accepts; nothing was sent "
                        f"(lgsp edxml inspect {args.edxml})", code="edxml_invalid")
    values = answer["message"]
    result = send_file(client, args.edxml, to=args.to or values["destinations"],
                       title=values["title"], priority=values["priority"],
                       data_type=args.data_type, protocol="edxml",
                       content_type="application/xml", confirm_within=args.confirm_within,
                       part_size=args.part_size, concurrency=args.concurrency,
                       progress=not args.no_progress, new=args.new, note=note)
    if values.get("deliver_at"):
        note(f"Hỏa tốc hẹn giờ: delivered at {values['deliver_at']}, not before")
    if result.message["state"] == "checking":
        note("the hub reads the stored package before delivering it (refused: "
             f"message.refused); follow it with: lgsp status {result.message['id']}")
    print(f"{result.message['id']} {result.message['state']}", file=out)
    return 0
