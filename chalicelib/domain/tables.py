"""A report as a table: typed columns with Vietnamese headers, and rows of values.

Every report and history query has one; the exports (CSV and XLSX) are renderings of it
(`adapters/spreadsheets.py`), so a number stays a number and a date a date, and the JSON
answer, the CSV and the XLSX always hold the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["text", "int", "float", "date", "datetime", "percent"]
Value = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Vietnamese, as the export shows it
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name and the file's stem, e.g. "bao-cao-000.00.31.H99-2026-11"
    columns: tuple[Column, ...]
    rows: list[dict[str, Value]] = field(default_factory=list)

    def values(self, row: dict[str, Value]) -> list[Value]:
        return [row.get(column.key) for column in self.columns]

    def check(self) -> None:
        """Each value matches its column's kind (a programming error otherwise)."""
        expected: dict[str, tuple[type[Any], ...]] = {
            "text": (str,), "int": (int,), "float": (int, float), "percent": (int, float),
            "date": (date,), "datetime": (datetime,)}
        for row in self.rows:
            for column in self.columns:
                value = row.get(column.key)
                if value is not None and (not isinstance(value, expected[column.kind]) or (
                        column.kind == "int" and isinstance(value, bool))):
                    raise TypeError(f"{column.key}: {value!r} is not {column.kind}")
