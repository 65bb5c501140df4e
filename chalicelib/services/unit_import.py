"""Bulk import of a province's unit list (R-JOIN-1), CSV or JSON in UTF-8.

Every row is checked first, by the rule that registering one unit follows
(`units.unit_from_request` on a `CreateUnit`, so the two ways accept and refuse the same
units: the code naming its faulty part, the names and contact within bounds, a parent that
need not be registered), plus what only a file can get wrong (a code twice) and not
already registered. The report lists every bad row. Nothing is written unless every row
is good; then the units go in parent-first, in transactions of a few dozen.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chalicelib.domain import identifiers
from chalicelib.domain.errors import (
    InvalidRequestError,
    TransactionConflictError,
    UnprocessableError,
)
from chalicelib.domain.ports import Item, TransactOp
from chalicelib.domain.signatures import Caller
from chalicelib.domain.unit_schemas import CreateUnit, ImportReport, RowError
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
    # newline="": the csv module splits lines itself, so \r\n, \r and \n all end a row
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff"), newline=""))
    try:
        if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
            raise InvalidRequestError("The CSV needs a header with at least code,name.",
                                      code="import_unreadable")
        return [dict(r) for r in reader]
    except csv.Error as exc:  # e.g. a field above the csv module's size limit
        raise InvalidRequestError(f"The CSV does not parse (line {reader.line_num}): {exc}.",
                                  code="import_unreadable") from exc


def _text(row: dict[str, Any], name: str) -> str:
    return str(row.get(name) or "").strip()


def _request(row: dict[str, Any]) -> CreateUnit:
    """The row as the body of a single registration (raises pydantic's ValidationError)."""
    contact = {k: _text(row, k) for k in ("email", "phone", "address") if _text(row, k)}
    return CreateUnit.model_validate({"code": _text(row, "code"), "name": _text(row, "name"),
                                      "short_name": _text(row, "short_name") or None,
                                      "contact": contact})


def _row_errors(deps: Deps, n: int, row: dict[str, Any], seen: set[str]
                ) -> tuple[list[RowError], Item | None]:
    """What single registration would answer for this row, as row errors (the same codes:
    `invalid_unit_code` with the part as `field`, `validation_failed`, `unit_exists`), plus
    `duplicate_code`; or the unit to write."""
    code = _text(row, "code")
    try:
        identifiers.parse(code)
    except InvalidRequestError as err:
        return [RowError(row=n, code=code or None, field=str(err.details["part"]),
                         error=err.code, message=err.message)], None
    try:
        unit = units.unit_from_request(deps, _request(row))
    except ValidationError as exc:
        return [RowError(row=n, code=code, field=str(e["loc"][-1]), error="validation_failed",
                         message=f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
                for e in exc.errors()], None
    errors = []
    if code in seen:
        errors.append(RowError(row=n, code=code, field="code", error="duplicate_code",
                               message=f"{code} appears more than once in the file."))
    seen.add(code)
    if units.get_unit(deps, code) is not None:
        errors.append(RowError(row=n, code=code, field="code", error="unit_exists",
                               message=f"{code} is already registered."))
    return errors, None if errors else unit


def _check(deps: Deps, rows: list[dict[str, Any]]
           ) -> tuple[list[RowError], list[tuple[int, Item]]]:
    """Every row's errors, and the good rows' units (with their row numbers)."""
    errors: list[RowError] = []
    good: list[tuple[int, Item]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        bad, unit = _row_errors(deps, n, row, seen)
        errors += bad
        if unit is not None:
            good.append((n, unit))
    return errors, good


def _checked(deps: Deps, caller: Caller, fmt: str, data: str
             ) -> tuple[int, list[RowError], list[tuple[int, Item]]]:
    require_operator(deps, caller)
    rows = _rows(fmt, data)
    if len(rows) > MAX_ROWS:
        raise InvalidRequestError(f"At most {MAX_ROWS} rows per import.",
                                  code="import_too_large")
    errors, good = _check(deps, rows)
    return len(rows), errors, good


@dataclass(frozen=True)
class Planned:
    """A good row of a dry run: the unit it would register."""

    row: int
    code: str
    name: str
    level: int
    parent: str | None


def plan(deps: Deps, caller: Caller, *, fmt: str, data: str
         ) -> tuple[ImportReport, list[Planned]]:
    """A dry run's report, plus the unit each good row would register (what a person
    checks, row by row, before confirming). Writes nothing."""
    count, errors, good = _checked(deps, caller, fmt, data)
    report = ImportReport(dry_run=True, rows=count, valid=not errors, imported=0,
                          errors=errors)
    return report, [Planned(n, u["code"], u["name"], u["level"], u["parent"])
                    for n, u in good]


def import_units(deps: Deps, caller: Caller, *, fmt: str, data: str, dry_run: bool
                 ) -> ImportReport:
    count, errors, rows_good = _checked(deps, caller, fmt, data)
    good = [unit for _, unit in rows_good]
    if errors and not dry_run:
        raise UnprocessableError(
            f"{len(errors)} row(s) are not valid; nothing was imported (see `errors`, or "
            "send a dry run for the whole report).", code="import_invalid",
            errors=[e.model_dump() for e in errors])
    if errors or dry_run:
        return ImportReport(dry_run=dry_run, rows=count, valid=not errors, imported=0,
                            errors=errors)
    good.sort(key=lambda unit: unit["level"])  # parents first
    imported = 0
    for start in range(0, len(good), BATCH):
        ops: list[TransactOp] = []
        for unit in good[start:start + BATCH]:
            ops += units.creation_ops(deps, unit, actor=caller.actor)
        try:
            deps.table.transact([*ops, units.bump_directory()])
        except TransactionConflictError as exc:
            raise InvalidRequestError(
                f"Rows from {start + 1} changed meanwhile (a unit was registered by someone "
                f"else); {imported} units were imported. Run the import again: imported "
                "rows will be reported as existing.", code="import_conflict",
                imported=imported) from exc
        imported += len(ops) // 3
    return ImportReport(dry_run=False, rows=count, valid=True, imported=imported,
                        errors=[])
