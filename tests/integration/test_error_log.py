"""A unit's error log (R-OPS-5; docs/reports.md): refused calls of its apps, signatures
naming its keys (unverified, bounded per minute), failed fetches, expired and
undeliverable messages, each with what to do; seen by the unit and the operators only;
written on failures only."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import load_workbook

from chalicelib import bootstrap
from chalicelib.domain import keys
from chalicelib.domain.logs import MAX_REFUSED_PER_MINUTE
from chalicelib.domain.times import province_month
from chalicelib.services import registry, sweeper
from chalicelib.services.registry import IssuedCredentials
from tests.integration.test_exchange_flow import receive, send
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World, content_request
from tests.support.reports import download, get

OPERATOR = "000.00.30.H99"
UNIT_D = "000.00.04.H99"  # registered, without any app
HOUR = 3600
ERRORS_A = f"/v1/reports/units/{UNIT_A}/errors"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@pytest.fixture
def operator(hub: World) -> SignedClient:
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return hub.as_(registry.create_app(hub.deps, OPERATOR, "console"))


def lines(client: SignedClient, unit: str, query: str = "") -> list[dict[str, Any]]:
    page = get(client, f"/v1/reports/units/{unit}/errors{query}")
    assert page.status == 200, page.body
    return list(page.body["items"])


def written(hub: World, unit: str) -> list[dict[str, Any]]:
    """The unit's error lines of this month, as stored."""
    month = province_month(hub.deps.clock.now())
    return hub.deps.table.query(keys.error_log_partition(unit, month), limit=500).items


def test_a_refused_call_is_in_its_units_log_with_request_id_and_remedy(hub: World) -> None:
    bad = hub.a.post("/v1/messages", {"to": 5}, headers={"x-request-id": "abc-1"})
    assert (bad.status, bad.code) == (400, "validation_failed")
    [line] = lines(hub.a, UNIT_A)
    assert (line["kind"], line["code"], line["status"]) == ("refused", "validation_failed", 400)
    assert (line["route"], line["app"]) == ("POST /v1/messages", hub.a.creds.app)
    assert line["client_request_id"] == "abc-1" and line["unverified"] is False
    assert line["message"] == bad.body["error"]["message"]
    assert "docs/api.md" in line["remedy"]["en"] and line["remedy"]["vi"]
    assert lines(hub.b, UNIT_B) == []


def test_a_bad_signature_naming_a_real_key_is_in_the_owners_log_unverified(
        hub: World) -> None:
    assert hub.a.get("/v1/inbox", key="not-the-secret").code == "signature_invalid"
    assert hub.a.get("/v1/inbox", skew=3600).code == "clock_skew"
    found = lines(hub.a, UNIT_A)
    assert [(x["code"], x["unverified"], x["app"], x["route"]) for x in found] == [
        ("clock_skew", True, hub.a.creds.app, "GET /v1/inbox"),
        ("signature_invalid", True, hub.a.creds.app, "GET /v1/inbox")]
    assert "NTP" in found[0]["remedy"]["en"]
    assert "keyid" in found[1]["remedy"]["en"]


def test_a_replayed_request_is_written_as_signed(hub: World) -> None:
    body = content_request(b"x", [UNIT_B])
    first = hub.a.post("/v1/messages", body, nonce="n" * 20)
    assert first.status == 201, first.body
    again = hub.a.post("/v1/messages", body, nonce="n" * 20)
    assert again.code == "replayed"
    [line] = lines(hub.a, UNIT_A)
    assert (line["code"], line["unverified"]) == ("replayed", False)
    assert "nonce" in line["remedy"]["en"]


def test_a_signature_naming_an_unknown_key_writes_nothing(hub: World) -> None:
    creds = hub.a.creds
    stranger = hub.as_(IssuedCredentials(unit=UNIT_A, app=creds.app, access_key="AKNOSUCHKEY1",
                                         secret_key=creds.secret_key,
                                         algorithm=creds.algorithm))
    assert stranger.get("/v1/inbox").code == "signature_invalid"
    assert stranger.get("/v1/inbox", skew=3600).code == "clock_skew"
    for unit in (UNIT_A, UNIT_B, UNIT_C):
        assert written(hub, unit) == []
        assert hub.deps.table.query(f"ERRRATE#{unit}").items == []


def test_flooding_writes_at_most_the_bound_per_minute(hub: World) -> None:
    for _ in range(MAX_REFUSED_PER_MINUTE + 10):
        assert hub.a.get("/v1/inbox", key="forged").status == 401
    stored = written(hub, UNIT_A)
    assert len(stored) == MAX_REFUSED_PER_MINUTE + 1
    assert [x["code"] for x in stored].count("too_many_refusals") == 1
    # the unit's own signed refusals have their own bound: a stranger cannot crowd them out
    assert hub.a.post("/v1/messages", {"to": 5}).code == "validation_failed"
    assert len(written(hub, UNIT_A)) == MAX_REFUSED_PER_MINUTE + 2
    hub.deps.clock.advance(60)  # type: ignore[attr-defined]
    assert hub.a.get("/v1/inbox", key="forged").status == 401
    assert len(written(hub, UNIT_A)) == MAX_REFUSED_PER_MINUTE + 3


def test_another_unit_is_refused_and_operators_may_read(hub: World,
                                                       operator: SignedClient) -> None:
    assert hub.a.post("/v1/messages", {"to": 5}).status == 400
    other = get(hub.b, ERRORS_A)
    assert (other.status, other.code) == (403, "forbidden")
    assert [x["code"] for x in lines(operator, UNIT_A)] == ["validation_failed"]


def test_a_failed_fetch_is_in_the_destinations_log(hub: World) -> None:
    message_id = send(hub, b"noi dung", [UNIT_B])
    receive(hub.b, message_id)
    refused = hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": "0" * 64})
    assert refused.code == "checksum_mismatch"
    [line] = lines(hub.b, UNIT_B, "?kind=fetch_failed")
    assert (line["message_id"], line["code"]) == (message_id, "checksum_mismatch")
    assert "fetch" in line["remedy"]["en"].lower()
    assert lines(hub.a, UNIT_A) == []


def test_expired_messages_are_in_both_logs(hub: World) -> None:
    message_id = send(hub, b"m", [UNIT_B], policy={"confirm_within_seconds": HOUR})
    hub.deps.clock.advance(HOUR + 1)  # type: ignore[attr-defined]
    sweeper.sweep(hub.deps)
    [dest] = lines(hub.b, UNIT_B, "?kind=expired")
    assert (dest["code"], dest["message_id"], dest["counterpart"]) == (
        "not_confirmed_in_time", message_id, UNIT_A)
    [source] = lines(hub.a, UNIT_A, "?kind=expired")
    assert (source["code"], source["counterpart"]) == ("destination_did_not_confirm", UNIT_B)


def test_content_that_never_arrived_is_in_the_sources_log(hub: World) -> None:
    created = hub.a.post("/v1/messages", content_request(b"never", [UNIT_B]))
    assert created.status == 201, created.body
    hub.deps.clock.advance(2 * 86_400)  # type: ignore[attr-defined]
    sweeper.sweep(hub.deps)
    [line] = lines(hub.a, UNIT_A, "?kind=expired")
    assert (line["code"], line["message_id"]) == ("content_never_arrived",
                                                  created.body["message"]["id"])


def test_an_undeliverable_destination_is_in_the_sources_log(hub: World) -> None:
    registry.create_unit(hub.deps, UNIT_D, "Đơn vị chưa có ứng dụng")
    message_id = send(hub, b"m", [UNIT_D])
    [line] = lines(hub.a, UNIT_A, "?kind=undeliverable")
    assert (line["code"], line["message_id"], line["counterpart"]) == (
        "no_receiving_app", message_id, UNIT_D)
    assert lines(hub.a, UNIT_A, "?kind=undeliverable&code=unit_split") == []
    bad = get(hub.a, ERRORS_A + "?kind=nothing")
    assert (bad.status, bad.code) == (400, "invalid_request")


def test_paging_newest_first(hub: World) -> None:
    for n in range(3):
        assert hub.a.post("/v1/messages", {"to": n}).status == 400
        hub.deps.clock.advance(1)  # type: ignore[attr-defined]
    first = get(hub.a, ERRORS_A + "?limit=2").body
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = get(hub.a, ERRORS_A + f"?limit=2&cursor={first['next_cursor']}").body
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    times = [x["at"] for x in first["items"] + rest["items"]]
    assert times == sorted(times, reverse=True)


def test_the_exports_have_vietnamese_headers_and_the_same_lines(hub: World) -> None:
    assert hub.a.get("/v1/inbox", skew=3600).code == "clock_skew"
    status, _, body = download(hub.a, ERRORS_A + "/csv")
    assert status == 200, body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Thời điểm", "Loại", "Mã lỗi"] and rows[0][-1] == "Cách khắc phục"
    assert rows[1][1:3] == ["refused", "clock_skew"] and "NTP" in rows[1][-1]
    status, _, body = download(hub.a, ERRORS_A + "/xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    assert [r[2] for r in sheet.iter_rows(values_only=True)] == ["Mã lỗi", "clock_skew"]


class Recording:
    """The table, remembering the partition of every read and write."""

    def __init__(self, table: Any) -> None:
        self._table, self.touched = table, []  # type: list[str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def get(self, pk: str, sk: str) -> Any:
        self.touched.append(pk)
        return self._table.get(pk, sk)

    def put(self, item: dict[str, Any], condition: Any = None) -> None:
        self.touched.append(item["pk"])
        self._table.put(item, condition)

    def update(self, op: Any) -> Any:
        self.touched.append(op.pk)
        return self._table.update(op)

    def query(self, pk: str, **kw: Any) -> Any:
        self.touched.append(pk)
        return self._table.query(pk, **kw)

    def transact(self, ops: list[Any]) -> None:
        self.touched += [op.item["pk"] if hasattr(op, "item") else op.pk for op in ops]
        self._table.transact(ops)


def test_the_success_path_reads_and_writes_no_log(hub: World) -> None:
    recording = Recording(hub.deps.table)
    bootstrap.install(replace(hub.deps, table=recording))
    message_id = send(hub, b"m", [UNIT_B])
    receive(hub.b, message_id)
    assert hub.b.get("/v1/inbox").status == 200
    assert recording.touched
    assert not [pk for pk in recording.touched if pk.startswith(("ERR", "AUDIT"))]
