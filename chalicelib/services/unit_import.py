"""Bulk import of a province's unit list (R-JOIN-1), CSV or JSON in UTF-8.

Every row is checked first — the code's shape (naming the faulty part), a name, no code
twice, not already registered, a parent that exists (registered or in the same file) —
and the report lists every bad row. Nothing is written unless every row is good; then the
units go in parent-first, in transactions of a few dozen.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chalicelib.domain import identifiers
from chalicelib.domain.errors import (
    InvalidRequestError,
    TransactionConflictError,
    UnprocessableError,
)
from chalicelib.domain.ports import TransactOp
from chalicelib.domain.signatures import Caller
from chalicelib.domain.unit_schemas import ImportReport, RowError
from chalicelib.services import units
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator

FIELDS = ("code", "name", "short_name", "email", "phone", "address")
MAX_ROWS = 20000
BATCH = 30  # units per transaction (3 writes each)


def _rows(fmt: str, data: str) -> list[dict[str, Any]]:
    if fmt == "json":
        try:
            rows = json.loads(data)
        except ValueError as exc:
            raise InvalidRequestError(f"The JSON does not parse: {exc}.",
                                      code="import_unreadable") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidRequestError("The JSON must be a list of objects.",
                                      code="import_unreadable")
        return rows
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
        raise InvalidRequestError("The CSV needs a header with at least code,name.",
                                  code="import_unreadable")
    return [dict(r) for r in reader]


def _check(deps: Deps, rows: list[dict[str, Any]]) -> tuple[list[RowError], list[Any]]:
    errors: list[RowError] = []
    good: list[tuple[identifiers.UnitCode, dict[str, Any]]] = []
    in_file = {str(r.get("code") or "").strip() for r in rows}
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        code = str(row.get("code") or "").strip()

        def bad(field: str, error: str, message: str, row_n: int = n, c: str = code) -> None:
            errors.append(RowError(row=row_n, code=c or None, field=field, error=error,
                                   message=message))
        try:
            parsed = identifiers.parse(code)
        except InvalidRequestError as err:
            bad(str(err.details.get("part", "code")), err.code, err.message)
            continue
        name = str(row.get("name") or "").strip()
        if not name or len(name) > 300:
            bad("name", "invalid_name", "Every unit needs a name of 1-300 characters.")
        if code in seen:
            bad("code", "duplicate_code", f"{code} appears more than once in the file.")
        seen.add(code)
        if units.get_unit(deps, code) is not None:
            bad("code", "unit_exists", f"{code} is already registered.")
        if parsed.parent and parsed.parent not in in_file and \
                units.get_unit(deps, parsed.parent) is None:
            bad("code", "unknown_parent", f"The parent {parsed.parent} of {code} is neither "
                                          "registered nor in the file.")
        good.append((parsed, row))
    return errors, good


def import_units(deps: Deps, caller: Caller, *, fmt: str, data: str, dry_run: bool
                 ) -> ImportReport:
    require_operator(deps, caller)
    rows = _rows(fmt, data)
    if len(rows) > MAX_ROWS:
        raise InvalidRequestError(f"At most {MAX_ROWS} rows per import.",
                                  code="import_too_large")
    errors, good = _check(deps, rows)
    if errors and not dry_run:
        raise UnprocessableError(
            f"{len(errors)} row(s) are not valid; nothing was imported (see `errors`, or "
            "send a dry run for the whole report).", code="import_invalid",
            errors=[e.model_dump() for e in errors])
    if errors or dry_run:
        return ImportReport(dry_run=dry_run, rows=len(rows), valid=not errors, imported=0,
                            errors=errors)
    good.sort(key=lambda pair: pair[0].level)  # parents first
    imported = 0
    for start in range(0, len(good), BATCH):
        ops: list[TransactOp] = []
        for parsed, row in good[start:start + BATCH]:
            contact = {k: str(row[k]).strip() for k in ("email", "phone", "address")
                       if row.get(k)}
            unit = units.new_unit_item(deps, parsed.code, str(row["name"]).strip(),
                                       short_name=str(row.get("short_name") or "").strip()
                                       or None, contact=contact)
            ops += units.creation_ops(deps, unit, actor=caller.app)
        try:
            deps.table.transact([*ops, units.bump_directory()])
        except TransactionConflictError as exc:
            raise InvalidRequestError(
                f"Rows from {start + 1} changed meanwhile (a unit was registered by someone "
                f"else); {imported} units were imported. Run the import again: imported "
                "rows will be reported as existing.", code="import_conflict",
                imported=imported) from exc
        imported += len(ops) // 3
    return ImportReport(dry_run=False, rows=len(rows), valid=True, imported=imported,
                        errors=[])
