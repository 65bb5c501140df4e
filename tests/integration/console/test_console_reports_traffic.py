"""The console's exchange history, connections, trace and presence pages (R-PROP-11,
R-PROP-12, R-SEND-5; docs/console.md): what they show is what the API answers,
paging follows the service's cursor, and a unit admin sees nothing of another unit."""

from __future__ import annotations

import re

import pytest

from chalicelib.api.console import history
from tests.integration.console.test_console_reports import fetch, link, operator_app, xlsx_rows
from tests.integration.test_exchange_flow import receive, send
from tests.integration.test_report_connections import sessions
from tests.integration.test_reports import download, get
from tests.support.console import OPERATOR, sign_in
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World
from tests.support.ws import WsApp

__all__ = ["sessions"]
NOVEMBER = "period=month&date=2026-11"
TITLE = "Công văn mật số 12"


def message_ids(html: str) -> list[str]:
    return re.findall(r'/console/trace\?id=([A-Za-z0-9]+)"', html)


def test_the_history_pages_through_the_apis_lines(traffic: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "PAGE", 2)
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    api = get(traffic.a, f"/v1/reports/units/{UNIT_A}/history?{NOVEMBER}&limit=200").body
    expected = [item["message_id"] for item in api["items"]]
    assert len(expected) > 2
    seen: list[str] = []
    page = admin.get(f"/console/reports/history?{NOVEMBER}")
    while True:
        assert page.status == 200, page.text[:300]
        seen += message_ids(page.text)
        if 'id="next-page"' not in page.text:
            break
        page = admin.get(link(page.text, "next-page").removeprefix("https://lgsp.test"))
    assert seen == expected


def test_the_history_filters_and_exports_as_the_api_does(traffic: World) -> None:
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    query = f"{NOVEMBER}&direction=sent&priority=khan&event=&counterpart="
    page = admin.get(f"/console/reports/history?{query}")
    api = get(traffic.a, f"/v1/reports/units/{UNIT_A}/history?{NOVEMBER}&direction=sent"
                         "&priority=khan").body
    assert message_ids(page.text) == [i["message_id"] for i in api["items"]]
    assert len(api["items"]) >= 1
    status, _, body = fetch(admin, link(page.text, "export-xlsx"))
    assert status == 200
    assert xlsx_rows(body) == xlsx_rows(download(
        traffic.a, f"/v1/reports/units/{UNIT_A}/history/xlsx?{NOVEMBER}&direction=sent"
                   "&priority=khan")[1])
    wrong = admin.get(f"/console/reports/history?{NOVEMBER}&direction=sideways")
    assert wrong.status == 400 and 'id="error"' in wrong.text
    assert 'id="history-table"' not in wrong.text


def test_a_unit_admin_cannot_read_another_units_history(traffic: World) -> None:
    admin = sign_in(traffic, UNIT_A, "quantri", ["unit_admin"])
    for path in ("/console/reports/history", "/console/reports/history/export",
                 "/console/reports/connections", "/console/reports/connections/export"):
        answer = admin.get(f"{path}?{NOVEMBER}&unit={UNIT_B}&format=xlsx")
        assert answer.status == 403, path
        assert 'id="history-table"' not in answer.text and "forbidden" in answer.text


def test_an_operator_picks_a_unit_for_its_history(traffic: World) -> None:
    operator = sign_in(traffic, OPERATOR, "vanhanh", ["operator"])
    first = operator.get("/console/reports/history")
    assert first.status == 200 and 'id="pick-unit"' in first.text
    page = operator.get(f"/console/reports/history?{NOVEMBER}&unit={UNIT_B}")
    api = get(traffic.b, f"/v1/reports/units/{UNIT_B}/history?{NOVEMBER}").body
    assert message_ids(page.text) == [i["message_id"] for i in api["items"]][:history.PAGE]


def test_connections_show_the_union_per_day(world: World,
                                            sessions: dict[str, WsApp]) -> None:
    admin = sign_in(world, UNIT_B, "quantri", ["unit_admin"])
    page = admin.get("/console/reports/connections?period=day&date=2026-12-01")
    assert page.status == 200, page.text[:300]
    api = get(world.b, f"/v1/reports/units/{UNIT_B}/connections?period=day&date=2026-12-01"
              ).body
    assert api["online_seconds"] == 4 * 3600
    assert 'id="online-time">4 giờ 0 phút<' in page.text
    assert 'id="connects">2<' in page.text
    assert '<th scope="row">12-01</th><td class="num">240</td>' in page.text
    status, _, body = fetch(admin, link(page.text, "export-xlsx"))
    assert status == 200
    assert xlsx_rows(body) == xlsx_rows(download(
        world.b, f"/v1/reports/units/{UNIT_B}/connections/xlsx?period=day&date=2026-12-01")[1])


def trace_events(html: str) -> list[str]:
    table = html.split('id="trace-table"')[1].split("</table>", maxsplit=1)[0]
    return re.findall(r'<th scope="row">([a-z_]+)</th>', table)


def test_the_trace_shows_the_apis_lines_and_no_content(world: World) -> None:
    message_id = send(world, b"noi dung mat", [UNIT_B], title=TITLE)
    receive(world.b, message_id)
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get(f"/console/trace?id={message_id}")
    assert page.status == 200, page.text[:300]
    api = world.a.get(f"/v1/messages/{message_id}/trace").body
    assert trace_events(page.text) == [line["event"] for line in api["items"]]
    assert 'id="message-source">000.00.01.H99<' in page.text
    assert "noi dung mat" not in page.text and TITLE not in page.text
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    seen = operator.get(f"/console/trace?id={message_id}")
    assert seen.status == 200 and trace_events(seen.text) == trace_events(page.text)
    assert operator.get("/console/trace?id=nosuchmessage").status == 404


def test_a_unit_admin_cannot_trace_another_units_message(world: World) -> None:
    message_id = send(world, b"noi dung", [UNIT_B])
    stranger = sign_in(world, UNIT_C, "quantri", ["unit_admin"])
    answer = stranger.get(f"/console/trace?id={message_id}")
    assert answer.status == 404 and "message_not_found" in answer.text
    main = answer.text.split('id="main"')[1]
    assert message_id not in main and 'id="trace-table"' not in main
    receiver = sign_in(world, UNIT_B, "quantri", ["unit_admin"])
    assert receiver.get(f"/console/trace?id={message_id}").status == 200


def test_presence_for_operators_and_for_a_unit(world: World,
                                              sessions: dict[str, WsApp]) -> None:
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    page = operator.get("/console/presence")
    assert page.status == 200, page.text[:300]
    online = get(operator_app(world), "/v1/presence/online").body
    listed = re.findall(r'/console/presence\?unit=([0-9.A-Z]+)"', page.text)
    assert listed == [u["unit"] for u in online["items"]] and UNIT_B in listed
    one = operator.get(f"/console/presence?unit={UNIT_B}")
    assert 'id="presence-state"' in one.text and "Đang kết nối" in one.text
    admin = sign_in(world, UNIT_B, "quantri", ["unit_admin"])
    own = admin.get("/console/presence")
    assert own.status == 200 and 'id="online"' not in own.text
    api = get(world.b, "/v1/presence/history").body
    rows = own.text.split('id="presence-history-table"')[1].split("</table>")[0]
    assert rows.count("<tr>") - 1 == len(api["items"]) > 0
    other = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    refused = other.get(f"/console/presence?unit={UNIT_B}")
    assert refused.status == 403 and 'id="presence-state"' not in refused.text


def test_only_operators_trace_any_message(world: World) -> None:
    from chalicelib.domain.errors import ForbiddenError
    from chalicelib.domain.signatures import Caller
    from chalicelib.services import status
    message_id = send(world, b"noi dung", [UNIT_B])
    source = Caller(unit=UNIT_A, app="app", key_id="k", algorithm="ed25519", nonce=None,
                    created=0)
    with pytest.raises(ForbiddenError):  # even the message's own source, as a unit
        status.any_message_status(world.deps, source, message_id)
    operator = Caller(unit=OPERATOR, app="app", key_id="k", algorithm="ed25519", nonce=None,
                      created=0)
    assert status.any_message_status(world.deps, operator, message_id).message.id == message_id
