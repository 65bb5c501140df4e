"""A unit's error log (R-OPS-5; docs/reports.md): what went wrong with its exchanges, so
its IT staff can fix their integration themselves.

Lines are written only on failures, never on the success path of a call:
- `refused`: a call of the unit's apps or people the hub refused with a 4xx; a refused
  signature is written for the unit owning the key it names, marked `unverified`
  (anyone can name a key id), and only if that key exists;
- `fetch_failed`: a destination confirmed with another SHA-256 (a refused confirmation);
- `expired` and `undeliverable`: written by the sweeper and the re-organisation in the
  same transaction as the change they record (`line_put`).
Refused calls are bounded: at most `MAX_REFUSED_PER_MINUTE` lines per unit per minute
for signed calls and as many for unverified ones; past that, one `too_many_refusals`
line and the rest only counted. Lines expire after 90 days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import keys
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.log_pages import Filter
from chalicelib.domain.log_schemas import ErrorLine, ErrorLog, Remedy
from chalicelib.domain.logs import ERROR_KEEP_SECONDS, MAX_REFUSED_PER_MINUTE, RATE_KEEP_SECONDS
from chalicelib.domain.periods import Period
from chalicelib.domain.ports import Item, Put, Update
from chalicelib.domain.remedies import KINDS, remedy
from chalicelib.domain.report_schemas import ReportPeriod
from chalicelib.domain.signatures import Caller
from chalicelib.domain.tables import Column, Table
from chalicelib.domain.times import PROVINCE_TZ, iso, province_month
from chalicelib.services.deps import Deps
from chalicelib.services.log_reader import read, read_all
from chalicelib.services.report_history import authorise

TAG = "errors"
MAX_MESSAGE = 500


def line_put(deps: Deps, unit: str, kind: str, code: str, message: str, *,
             message_id: str | None = None, counterpart: str | None = None,
             **fields: Any) -> Put:
    """One line of `unit`'s error log, to write with the change it records."""
    at = deps.clock.now()
    pk, sk = keys.error_line(unit, province_month(at), at, deps.ids.new_id())
    return Put({"pk": pk, "sk": sk, "kind": kind, "at": at, "code": code,
                "message": message[:MAX_MESSAGE], "message_id": message_id,
                "counterpart": counterpart, "ttl": at + ERROR_KEEP_SECONDS, **fields})


def key_owner(deps: Deps, key_id: str) -> tuple[str, str] | None:
    """The unit and app owning an access key, or None if no such key was ever issued."""
    item = deps.table.get(*keys.access_key(key_id))
    return (str(item["unit"]), str(item["app"])) if item else None


def record_refusal(deps: Deps, unit: str, *, kind: str, app: str | None, route: str,
                   status: int, code: str, message: str, request_id: str | None,
                   client_request_id: str | None, unverified: bool,
                   message_id: str | None = None) -> bool:
    """Write a refused call in `unit`'s log, within the minute's bound; False when only
    counted (the bound was reached)."""
    now = deps.clock.now()
    counted = deps.table.update(Update(*keys.error_rate(unit, now // 60, not unverified),
                                       add={"count": 1},
                                       set={"kind": "error_rate",
                                            "ttl": now + RATE_KEEP_SECONDS}))
    count = int(counted["count"])
    if count > MAX_REFUSED_PER_MINUTE + 1:
        return False
    if count == MAX_REFUSED_PER_MINUTE + 1:
        kind, code = "refused", "too_many_refusals"
        message = (f"More than {MAX_REFUSED_PER_MINUTE} refused calls "
                   f"{'naming' if unverified else 'of'} this unit's keys in this minute: "
                   "the next ones are counted, not written.")
    deps.table.put(line_put(deps, unit, kind, code, message, message_id=message_id, app=app,
                            route=route, status=status, request_id=request_id,
                            client_request_id=client_request_id,
                            unverified=unverified).item)
    return count <= MAX_REFUSED_PER_MINUTE


# -- reading ---------------------------------------------------------------------------


def _filter(kind: str | None, code: str | None, app: str | None) -> Filter:
    if kind is not None and kind not in KINDS:
        raise InvalidRequestError(f"kind must be one of {', '.join(KINDS)}.",
                                  code="invalid_request")
    return Filter({"kind": kind, "code": code, "app": app})


def error_log(deps: Deps, caller: Caller, code: str, period: Period, *,
              kind: str | None = None, error_code: str | None = None, app: str | None = None,
              limit: int = 50, cursor: str | None = None) -> ErrorLog:
    """One page of the unit's error lines of the period, newest first (the unit's own
    apps and people, and operators; another unit is 403 `forbidden`)."""
    authorise(deps, caller, code)
    wanted = _filter(kind, error_code, app)
    lines, next_cursor = read(deps, lambda month: keys.error_log_partition(code, month),
                              tag=TAG, scope=code, period=period, wanted=wanted,
                              limit=limit, cursor=cursor)
    return ErrorLog(unit=code, period=ReportPeriod.of(period),
                    items=[line_view(line) for line in lines], next_cursor=next_cursor)


def line_view(line: Item) -> ErrorLine:
    found = remedy(str(line["kind"]), line.get("code"))
    return ErrorLine(
        at=iso(int(line["at"])), kind=line["kind"], code=line["code"],
        message=line.get("message") or "", app=line.get("app"), route=line.get("route"),
        status=line.get("status"), request_id=line.get("request_id"),
        client_request_id=line.get("client_request_id"),
        unverified=bool(line.get("unverified")), message_id=line.get("message_id"),
        counterpart=line.get("counterpart"), remedy=Remedy(vi=found.vi, en=found.en))


COLUMNS = (
    Column("at", "Thời điểm", "datetime"), Column("kind", "Loại"), Column("code", "Mã lỗi"),
    Column("message", "Thông báo"), Column("app", "Ứng dụng"), Column("route", "Lời gọi"),
    Column("status", "Mã HTTP", "int"), Column("request_id", "Mã yêu cầu"),
    Column("client_request_id", "Mã yêu cầu của ứng dụng"),
    Column("unverified", "Chưa xác thực"), Column("message_id", "Mã gói tin"),
    Column("counterpart", "Đơn vị liên quan"), Column("remedy", "Cách khắc phục"))


def error_table(deps: Deps, caller: Caller, code: str, period: Period, *,
                kind: str | None = None, error_code: str | None = None,
                app: str | None = None) -> Table:
    """Every line of the period the filters keep, for the CSV and XLSX exports."""
    authorise(deps, caller, code)
    lines = read_all(deps, lambda month: keys.error_log_partition(code, month), tag=TAG,
                     scope=code, period=period, wanted=_filter(kind, error_code, app))
    rows: list[dict[str, Any]] = []
    for line in lines:
        view = line_view(line)
        rows.append({**view.model_dump(exclude={"remedy"}),
                     "at": datetime.fromtimestamp(int(line["at"]), PROVINCE_TZ),
                     "unverified": "có" if view.unverified else "",
                     "remedy": view.remedy.vi})
    return Table(f"nhat-ky-loi-{code}-{period.label}", COLUMNS, rows)
