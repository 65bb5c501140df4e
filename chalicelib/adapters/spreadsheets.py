"""Exports of a report table (`domain/tables.py`) as CSV and as XLSX (openpyxl).

CSV: UTF-8 with a byte-order mark (so Excel shows Vietnamese correctly), comma-separated,
ISO dates. XLSX: one sheet, a bold header row, numbers as numbers, dates as dates (shown
`dd/mm/yyyy`, the Vietnamese order), percentages as percentages; a formula-looking text
is written as text, never evaluated.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from chalicelib.domain.tables import Table, Value

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A spreadsheet must not run what a unit named itself (CSV injection).
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(table: Table) -> bytes:
    table.check()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in table.values(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    table.check()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31] or "Báo cáo")
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = {"date": "DD/MM/YYYY", "datetime": "DD/MM/YYYY HH:MM:SS", "percent": "0.00%",
               "float": "0.00"}
    for row in table.rows:
        cells = []
        for column, given in zip(table.columns, table.values(row), strict=True):
            value = given
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # Excel has no time zones: local time
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even "=1+1"
            if column.kind in formats and value is not None:
                cell.number_format = formats[column.kind]
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class UnreadableSheet(ValueError):
    """An uploaded file that is not a readable XLSX workbook."""


def xlsx_as_csv(data: bytes, *, max_rows: int = 20_000) -> str:
    """The first sheet of an XLSX workbook as CSV text (every cell as text, dates as
    YYYY-MM-DD, empty rows left out), for the importers that read CSV. openpyxl reads it
    in read-only mode: formulas are not evaluated, their cached values are taken."""
    import zipfile

    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableSheet("not an XLSX workbook") from exc
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    try:
        sheet = book.worksheets[0]
        for count, row in enumerate(sheet.iter_rows(values_only=True)):
            if count >= max_rows:
                raise UnreadableSheet(f"more than {max_rows} rows")
            cells = ["" if v is None else v.date().isoformat() if isinstance(v, datetime)
                     else v.isoformat() if isinstance(v, date) else str(v) for v in row]
            if any(cell.strip() for cell in cells):
                writer.writerow(cells)
    finally:
        book.close()
    return out.getvalue()
