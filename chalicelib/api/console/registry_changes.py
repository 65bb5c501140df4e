"""Changes to the unit registry in the console, for operators: importing a unit list
(dry run first, row by row; then a confirm step that applies it: R-JOIN-1) and
re-organising units with their legal basis (a preview, then the change: R-JOIN-5).

Each change goes through the same service as the API (`unit_import`, `reorg`), with
the signed-in operator as the caller; the confirm forms carry what was previewed, and
the service checks it all again when it is applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.api.console.base import OPERATOR, View, console_route
from chalicelib.domain.errors import LgspError

if TYPE_CHECKING:
    from pydantic import ValidationError

FORMATS = ("csv", "json")
KINDS = ("rename", "merge", "split", "dissolve")
REORG_FIELDS = ("kind", "units", "successors", "new_name", "new_short_name",
                "decision_number", "decision_date", "effective_date")


# --- Import --------------------------------------------------------------------------

def _import_form(view: View, *, status: int = 200, error: str | None = None,
                 **context: Any) -> Response:
    return view.render("registry_import.html", status=status, error=error, formats=FORMATS,
                       data=view.field("data"), fmt=view.field("format") or "csv", **context)


def _uploaded(file_name: str, data: bytes) -> tuple[str, str]:
    """An uploaded unit list as the importer's format and text: an XLSX workbook's first
    sheet as CSV, a `.json` file as JSON, anything else as CSV text (UTF-8, with or
    without BOM). Raises ValueError for a file that cannot be read so."""
    from chalicelib.adapters import spreadsheets
    name = file_name.lower()
    if name.endswith(".xlsx"):
        return "csv", spreadsheets.xlsx_as_csv(data)
    text = data.decode("utf-8-sig")  # UnicodeDecodeError is a ValueError
    return ("json" if name.endswith(".json") else "csv"), text


@console_route("/console/units/import", ["GET"], summary="Operators: import a unit list",
               who=OPERATOR)
def import_page(view: View) -> Response:
    return _import_form(view)


@console_route("/console/units/import", ["POST"], summary="Operators: a dry run of a "
               "unit list, row by row", who=OPERATOR)
def import_check(view: View) -> Response:
    from chalicelib.services import unit_import
    fmt, data = view.field("format"), view.field("data")
    upload = view.page.files.get("file")
    if upload is not None and upload.data:
        try:
            fmt, data = _uploaded(upload.file_name, upload.data)
        except ValueError:
            return _import_form(view, status=400, error=view.t["import_unreadable"])
    if fmt not in FORMATS or not data.strip():
        return _import_form(view, status=400, error=view.t["import_empty"])
    try:
        report, planned = unit_import.plan(view.deps, view.caller, fmt=fmt, data=data)
    except LgspError as err:
        if err.status >= 500 or err.code == "forbidden":
            raise
        return _import_form(view, status=err.status, error=err.message)
    lines = sorted([(p.row, p, None) for p in planned]
                   + [(e.row, None, e) for e in report.errors], key=lambda line: line[0])
    return view.render("registry_import_report.html", report=report, lines=lines,
                       planned=planned, fmt=fmt, data=data)


@console_route("/console/units/import/apply", ["POST"], summary="Operators: import a "
               "checked unit list", who=OPERATOR)
def import_apply(view: View) -> Response:
    from chalicelib.services import unit_import
    fmt, data = view.field("format"), view.field("data")
    if fmt not in FORMATS or not data.strip():
        return _import_form(view, status=400, error=view.t["import_empty"])
    report = unit_import.import_units(view.deps, view.caller, fmt=fmt, data=data,
                                      dry_run=False)
    return view.redirect("/console/units", imported=str(report.imported))


# --- Re-organisation -----------------------------------------------------------------

def _successors(text: str) -> list[dict[str, str]]:
    """One successor a line: `code`, or `code; name; short name` for a unit to create."""
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(";")]
        if not parts[0]:
            continue
        item = {"code": parts[0]}
        if len(parts) > 1 and parts[1]:
            item["name"] = parts[1]
        if len(parts) > 2 and parts[2]:
            item["short_name"] = parts[2]
        out.append(item)
    return out


def _body(view: View) -> Any:
    """The re-organisation the form asks for (raises pydantic's ValidationError)."""
    from chalicelib.domain.reorg import Reorganisation
    f = view.field
    return Reorganisation.model_validate({
        "kind": f("kind"), "units": f("units").replace(",", " ").split(),
        "successors": _successors(f("successors")), "new_name": f("new_name").strip() or None,
        "new_short_name": f("new_short_name").strip() or None,
        "legal_basis": {"decision_number": f("decision_number").strip(),
                        "decision_date": f("decision_date") or None},
        "effective_date": f("effective_date") or None})


def _invalid(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
                     for e in exc.errors())


def _reorg_form(view: View, *, status: int = 200, error: str | None = None,
                notice: str | None = None) -> Response:
    from chalicelib.services import reorg
    recent, _ = reorg.list_reorgs(view.deps, view.caller, limit=20, cursor=None)
    values = {name: view.field(name) for name in REORG_FIELDS}
    return view.render("registry_reorg.html", status=status, error=error, notice=notice,
                       kinds=KINDS, values=values, recent=recent)


@console_route("/console/units/reorg", ["GET"], summary="Operators: re-organise units",
               who=OPERATOR)
def reorg_page(view: View) -> Response:
    done = view.arg("done")
    return _reorg_form(view, notice=view.t["reorg_done"].format(id=done) if done else None)


@console_route("/console/units/reorg", ["POST"], summary="Operators: preview a "
               "re-organisation", who=OPERATOR)
def reorg_preview(view: View) -> Response:
    from pydantic import ValidationError

    from chalicelib.services import units
    try:
        body = _body(view)
        before = [units.require_unit(view.deps, code) for code in body.units]
    except ValidationError as exc:
        return _reorg_form(view, status=400, error=_invalid(exc))
    except LgspError as err:
        return _reorg_form(view, status=err.status, error=err.message)
    after = [(s, units.get_unit(view.deps, s.code)) for s in body.successors]
    today = view.deps.clock.now()
    return view.render("registry_reorg_preview.html", body=body, before=before, after=after,
                       values={name: view.field(name) for name in REORG_FIELDS},
                       scheduled=_scheduled(body.effective_date, today))


def _scheduled(effective: Any, now: int) -> bool:
    from chalicelib.domain.times import province_date
    return bool(effective > province_date(now))


@console_route("/console/units/reorg/apply", ["POST"], summary="Operators: apply a "
               "re-organisation", who=OPERATOR)
def reorg_apply(view: View) -> Response:
    from pydantic import ValidationError

    from chalicelib.services import reorg
    try:
        body = _body(view)
    except ValidationError as exc:
        return _reorg_form(view, status=400, error=_invalid(exc))
    done = reorg.reorganise(view.deps, view.caller, body)
    return view.redirect("/console/units/reorg", done=done.id)
