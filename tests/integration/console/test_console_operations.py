"""The console's operations pages (R-OPS-4, R-OPS-5, R-OPS-3; docs/console.md): an
operator publishes and cancels maintenance notices that every page's banner shows; every
console change is in the audit log with the person; a unit admin reads their unit's error
log with what to do, never another unit's; names are shown as text."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.domain.times import PROVINCE_TZ
from chalicelib.services import notices, registry
from tests.integration.test_exchange_flow import send
from tests.integration.test_reports import download, xlsx_rows
from tests.support.console import OPERATOR, sign_in
from tests.support.hub import UNIT_A, UNIT_B, World

XSS = "<script>alert(1)</script>"


def window(world: World, start_in: int, length: int) -> dict[str, str]:
    """A notice's window as the form's datetime-local fields (the province's clock)."""
    now = world.deps.clock.now()
    return {"starts_at": local_minute(now + start_in),
            "ends_at": local_minute(now + start_in + length)}


def local_minute(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%Y-%m-%dT%H:%M")


def test_an_operator_publishes_a_notice_every_page_shows_then_cancels_it(world: World) -> None:
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    page = operator.get("/console/notices")
    assert page.status == 200 and 'id="notice-form"' in page.text
    done = operator.submit(page, {"title": "Bảo trì hệ thống đêm thứ Bảy",
                                  "body": "Dừng trao đổi văn bản từ 22:00 đến 23:00.",
                                  "severity": "maintenance", "services": "exchange",
                                  **window(world, 3600, 3600)}, form="notice-form")
    assert done.status == 303
    published = notices.current(world.deps).items
    assert [n.title for n in published] == ["Bảo trì hệ thống đêm thứ Bảy"]
    assert published[0].services == ["exchange"]
    assert published[0].created_by == operator.account
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    for person in (operator, admin):  # the banner on every page
        home = person.get("/console")
        assert 'class="banner banner-maintenance"' in home.text
        assert "Bảo trì hệ thống đêm thứ Bảy" in home.text and "Trao đổi văn bản" in home.text
    listed = operator.get("/console/notices")
    notice_id = published[0].id
    cancelled = operator.submit(listed, {}, form=f"cancel-{notice_id}")
    assert cancelled.status == 303
    assert notices.current(world.deps).items == []
    assert "banner-maintenance" not in admin.get("/console").text


def test_a_notice_with_a_bad_window_is_a_400_form_and_nothing_is_published(
        world: World) -> None:
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    page = operator.get("/console/notices")
    answer = operator.submit(page, {"title": "Sai", "body": "Kết thúc trước khi bắt đầu",
                                    "severity": "info", **window(world, 7200, -3600)},
                             form="notice-form")
    assert answer.status == 400 and 'id="error"' in answer.text
    assert 'value="Sai"' in answer.text  # the form keeps what was typed
    assert notices.current(world.deps).items == []


def test_a_unit_admin_reads_notices_but_cannot_publish_or_cancel(world: World) -> None:
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get("/console/notices")
    assert page.status == 200 and 'id="notice-form"' not in page.text
    answer = admin.browser.post("https://lgsp.test/console/notices", {
        "csrf": page.hidden(), "title": "Giả", "body": "Giả", "severity": "info",
        **window(world, 3600, 3600)})
    assert answer.status == 403
    assert notices.current(world.deps).items == []


def test_console_changes_are_in_the_audit_log_with_the_person(world: World) -> None:
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    page = operator.get("/console/notices")
    operator.submit(page, {"title": "Nâng cấp", "body": "Nâng cấp máy chủ.",
                           "severity": "info", **window(world, 600, 600)}, form="notice-form")
    audit = operator.get("/console/audit")
    assert audit.status == 200
    assert "POST /console/notices" in audit.text and operator.account in audit.text
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    own = admin.get("/console/audit")
    assert own.status == 200 and "POST /console/notices" not in own.text  # not their unit
    other = admin.get(f"/console/audit?unit={OPERATOR}")
    assert other.status == 403 and "POST /console/notices" not in other.text


def test_a_refused_csrf_is_audited_as_refused(world: World) -> None:
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    operator.browser.post("https://lgsp.test/console/notices", {"csrf": "forged"})
    audit = operator.get("/console/audit")
    assert re.search(r"POST /console/notices.*?Bị từ chối \(403, <code>csrf_failed</code>\)",
                     audit.text, re.S)


def test_a_unit_admin_reads_their_error_log_with_what_to_do(world: World) -> None:
    refused = world.a.post("/v1/messages", {"to": [UNIT_B]},
                           headers={"x-request-id": "app-req-42"})
    assert refused.status == 400
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    log = admin.get("/console/errors")
    assert log.status == 200
    assert "validation_failed" in log.text and "app-req-42" in log.text
    assert 'id="error-lines"' in log.text and "Lời gọi bị từ chối" in log.text
    other_admin = sign_in(world, UNIT_B, "quantri-b", ["unit_admin"])
    theirs = other_admin.get(f"/console/errors?unit={UNIT_A}")  # ignored: their own log
    assert "app-req-42" not in theirs.text and UNIT_B in theirs.text
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    assert "app-req-42" in operator.get(f"/console/errors?unit={UNIT_A}").text


def test_the_error_log_export_is_the_apis_file(world: World) -> None:
    world.a.post("/v1/messages", {"to": [UNIT_B]}, headers={"x-request-id": "app-req-7"})
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    page = admin.get("/console/errors")
    href = re.search(r'id="export-xlsx" href="([^"]+)"', page.text)
    assert href
    answer = admin.browser.request("GET", href.group(1).replace("&amp;", "&"),
                                   headers={"accept": "*/*"})  # as a browser asks
    assert answer.status == 200
    assert "attachment" in answer.headers["content-disposition"]
    rows = xlsx_rows(answer.raw)
    assert rows[0][2] == "Mã lỗi" and rows[1][2] == "validation_failed"
    status, api_file = download(world.a, f"/v1/reports/units/{UNIT_A}/errors/xlsx")
    assert status == 200 and xlsx_rows(api_file) == rows


def test_what_callers_sent_is_shown_as_text(world: World) -> None:
    """Path parameters reach the audit log decoded on AWS, and a refusal's message may
    quote what was sent: both are shown as text, never as markup."""
    from chalicelib.services import audit_log, error_log
    app = world.as_(registry.create_app(world.deps, OPERATOR, "van-hanh"))
    caller = app_caller(world, app)
    audit_log.record(world.deps, caller, "PUT /v1/admin/apps/{app_id}/legacy",
                     target={"app_id": XSS}, outcome="refused", status=404,
                     code="app_not_found")
    error_log.record_refusal(world.deps, UNIT_A, kind="refused", app=XSS, route="GET /x",
                             status=400, code="invalid_request", message=f"Bad {XSS}",
                             request_id=None, client_request_id=None, unverified=False)
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    for page in (operator.get("/console/audit"), operator.get(f"/console/errors?unit={UNIT_A}")):
        assert page.status == 200
        assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def app_caller(world: World, app: Any) -> Any:
    from chalicelib.domain.signatures import Caller
    return Caller(unit=OPERATOR, app=app.creds.app, key_id=app.creds.access_key,
                  algorithm="hmac-sha256", nonce=None, created=0)


def test_the_dashboard_shows_the_failures_of_the_last_24_hours(world: World) -> None:
    message_id = send(world, b"x" * 10, [UNIT_B])
    assert world.b.post(f"/v1/messages/{message_id}/reject",
                        {"reason": "Sai nơi nhận"}).status == 200
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    home = operator.get("/console")
    assert re.search(r'id="failures-rejected">1<', home.text)
    assert 'id="chart-24-hours"' in home.text
