"""The unit, province and ranking reports as tables (`tables.Table`), for their CSV and
XLSX exports: Vietnamese headers, one row per day (or month) and a total row, with the
same figures as the JSON answer (R-PROP-11, R-PROP-12; docs/reports.md)."""

from __future__ import annotations

from collections.abc import Sequence

from . import traffic
from .priority import Priority
from .tables import Column, Table, Value

TOTAL = "Tổng cộng"
EVENT_COLUMNS = (
    Column("sent", "Đã gửi", "int"), Column("received", "Đã nhận", "int"),
    Column("rejected", "Từ chối", "int"), Column("failed_fetches", "Lỗi tải", "int"),
    Column("expired", "Quá hạn", "int"), Column("undeliverable", "Không chuyển được", "int"))
TRAFFIC_COLUMNS = (
    Column("sent", "Đã gửi", "int"), Column("bytes_sent", "Dung lượng gửi (byte)", "int"),
    Column("received", "Đã nhận", "int"),
    Column("bytes_received", "Dung lượng nhận (byte)", "int"),
    *EVENT_COLUMNS[2:],
    *(Column(f"sent_{p.value}", f"Gửi {p.label.lower()}", "int") for p in Priority),
    *(Column(f"received_{p.value}", f"Nhận {p.label.lower()}", "int") for p in Priority),
    Column("confirmed", "Số xác nhận đo thời gian", "int"),
    Column("median_seconds", "Thời gian xác nhận, trung vị (giây)", "int"),
    Column("p95_seconds", "Thời gian xác nhận, phân vị 95 (giây)", "int"))


def traffic_row(counts: traffic.Counts) -> dict[str, Value]:
    """Every figure of one day, month or period, as a row of `TRAFFIC_COLUMNS`."""
    buckets = traffic.histogram(counts)
    row: dict[str, Value] = {**traffic.figures(counts)}
    for slug, split in traffic.by_priority(counts).items():
        row[f"sent_{slug}"], row[f"received_{slug}"] = split["sent"], split["received"]
    row.update(confirmed=sum(buckets), median_seconds=traffic.percentile(buckets, 50),
               p95_seconds=traffic.percentile(buckets, 95))
    return row


def traffic_table(title: str, by_month: bool, rows: Sequence[tuple[str, traffic.Counts]],
                  totals: traffic.Counts) -> Table:
    """A unit's or the province's report: a row per day (per month for a quarter or a
    year), then the total row."""
    first = Column("period", "Tháng" if by_month else "Ngày", "text")
    body = [{"period": label, **traffic_row(counts)} for label, counts in rows]
    return Table(title, (first, *TRAFFIC_COLUMNS),
                 [*body, {"period": TOTAL, **traffic_row(totals)}])


def ranking_table(title: str, items: Sequence[dict[str, Value]]) -> Table:
    """The ranking: one row per unit, in rank order."""
    columns = (Column("rank", "Hạng", "int"), Column("unit", "Mã định danh", "text"),
               Column("unit_name", "Tên đơn vị", "text"), *EVENT_COLUMNS)
    return Table(title, columns, [{"rank": n, **item} for n, item in enumerate(items, 1)])
