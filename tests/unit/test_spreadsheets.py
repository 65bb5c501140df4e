"""Report exports (R-PROP-11): the same figures in CSV and XLSX, typed, never formulas."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from chalicelib.adapters.spreadsheets import to_csv, to_xlsx
from chalicelib.domain.tables import Column, Table

VN = timezone(timedelta(hours=7))
TABLE = Table("bao-cao-thang", (
    Column("day", "Ngày", "date"), Column("unit", "Đơn vị"), Column("sent", "Đã gửi", "int"),
    Column("share", "Tỷ lệ", "percent"), Column("at", "Thời điểm", "datetime")), [
    {"day": date(2026, 11, 1), "unit": "Sở Tài chính", "sent": 12, "share": 0.25,
     "at": datetime(2026, 11, 1, 8, 30, tzinfo=VN)},
    {"day": date(2026, 11, 2), "unit": "=HYPERLINK(\"http://x\")", "sent": 0, "share": None,
     "at": None},
])


def test_csv_has_vietnamese_headers_and_no_formula() -> None:
    data = to_csv(TABLE)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Ngày", "Đơn vị", "Đã gửi", "Tỷ lệ", "Thời điểm"]
    assert rows[1] == ["2026-11-01", "Sở Tài chính", "12", "0.25", "2026-11-01T08:30:00+07:00"]
    assert rows[2][1].startswith("'=")


def test_xlsx_keeps_numbers_as_numbers_and_dates_as_dates() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Ngày", "Đơn vị", "Đã gửi", "Tỷ lệ", "Thời điểm")
    assert rows[1][0] == datetime(2026, 11, 1) and rows[1][2] == 12 and rows[1][3] == 0.25
    assert rows[1][4] == datetime(2026, 11, 1, 8, 30)
    assert rows[2][1] == "=HYPERLINK(\"http://x\")" and sheet["B3"].data_type == "s"


def test_a_value_of_the_wrong_kind_is_a_programming_error() -> None:
    bad = Table("x", (Column("n", "Số", "int"),), [{"n": "12"}])
    with pytest.raises(TypeError):
        to_csv(bad)
