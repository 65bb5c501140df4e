"""The console's request pages (R-OPS-1..3, R-JOIN-2..4; docs/console.md): a unit
admin files the six forms online and sees the due date (R-OPS-2), an operator works the
queue, decides, and downloads the answer letter; units never see each other's requests;
secrets are shown once; names are text, never markup; every change carries the CSRF
token."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from chalicelib.domain import keys
from chalicelib.domain.join_requests import DOCX_CONTENT_TYPE
from tests.integration.test_join_requests import text_of
from tests.support.console import OPERATOR, Person, sign_in
from tests.support.hub import UNIT_A, UNIT_B, World
from tests.support.sso import HOST, make_client

DAY = 24 * 3600
CONTACT = {"applicant.name": "Nguyễn Văn Hùng", "applicant.position": "Chuyên viên CNTT",
           "applicant.email": "hung@stc.example.gov.vn", "applicant.phone": "0204 3856 123"}
LETTER = {"letter_number": "125/STC-VP", "letter_date": "2026-11-16", **CONTACT}
ADMIN = {"admin.name": "Trần Thị Lan", "admin.position": "Trưởng phòng",
         "admin.email": "lan@stc.example.gov.vn"}
REGISTER = {**LETTER, "system_name": "Phần mềm quản lý văn bản", "short_name": "QLVB",
            "developer": "Công ty Cổ phần Phần mềm Bắc Giang",
            "purpose": "Gửi, nhận văn bản điện tử", "data_exchanged": "Văn bản (edXML)"}
APP = "https://qlvb.example.gov.vn"


def form_fields(world: World, kind: str) -> dict[str, str]:
    """A complete form of `kind` for unit A, as a person types it."""
    if kind == "register_app":
        return REGISTER
    if kind == "admin_account":
        return {**LETTER, **ADMIN}
    if kind == "cancel_app":
        return {**LETTER, "app_id": world.a.creds.app, "reason": "Ngưng hoạt động"}
    if kind == "sso_register_app":
        return {**REGISTER, "redirect_uris": f"{APP}/callback\r\n\r\n{APP}/callback2\r\n",
                "post_logout_redirect_uris": f"{APP}/"}
    if kind == "sso_admin_account":
        return {**LETTER, **ADMIN, "username": "qtsso"}
    client_id, _ = make_client(world.deps, UNIT_A, "QLVB", [f"{APP}/callback"])
    return {**LETTER, "client_id": client_id, "reason": "Ngưng sử dụng"}


def file(person: Person, kind: str, fields: dict[str, str], action: str = "submit") -> Any:
    page = person.get(f"/console/requests/new?kind={kind}")
    assert page.status == 200, page.text[:300]
    return person.submit(page, {"kind": kind, "action": action, **fields},
                         form="request-form")


def request_id(answer: Any) -> str:
    assert answer.status == 303, answer.text[:600]
    found = re.search(r"/console/requests/([0-9a-f]+)\?done=", answer.location)
    assert found, answer.location
    return found.group(1)


def stored(world: World, rid: str) -> Any:
    item = world.deps.table.get(*keys.join_request(rid))
    assert item is not None
    return item


def download(person: Person, path: str) -> tuple[int, dict[str, str], bytes]:
    """A file, as the browser saves it (bytes, not text)."""
    browser = person.browser
    res = browser.client.http.request("GET", path, headers={
        "host": HOST, "x-forwarded-proto": "https", "accept": "*/*",
        "cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())})
    return res.status_code, {k.lower(): v for k, v in res.headers.items()}, res.body


def filed_request(world: World, admin: Person, kind: str = "register_app",
                  fields: dict[str, str] | None = None) -> str:
    return request_id(file(admin, kind, fields or form_fields(world, kind)))


@pytest.mark.parametrize("kind", ["register_app", "admin_account", "cancel_app",
                                  "sso_register_app", "sso_admin_account", "sso_cancel_app"])
def test_a_unit_admin_files_each_form_online_and_sees_its_due_date(
        world: World, admin_a: Person, kind: str) -> None:
    form = admin_a.get(f"/console/requests/new?kind={kind}")
    assert form.status == 200
    assert 'id="request-form"' in form.text and "*</span>" in form.text  # required marked
    answer = file(admin_a, kind, form_fields(world, kind))
    rid = request_id(answer)
    assert answer.location.endswith("done=submitted")
    item = stored(world, rid)
    assert (item["state"], item["unit"], item["request_kind"]) == ("submitted", UNIT_A, kind)
    assert item["fields"]["applicant"]["email"] == "hung@stc.example.gov.vn"
    page = admin_a.get(f"/console/requests/{rid}?done=submitted")
    assert page.status == 200
    due = item["due_date"]  # YYYY-MM-DD, shown as the province reads it
    shown = f"{due[8:10]}/{due[5:7]}/{due[:4]}"
    assert re.search(rf'id="due-date"[^>]*>{shown}', page.text), page.text
    assert f"Hạn trả lời: {shown}" in page.text  # the notice after submitting
    if kind == "sso_register_app":
        assert item["fields"]["redirect_uris"] == [f"{APP}/callback", f"{APP}/callback2"]


def test_the_queue_lists_open_requests_by_due_time_overdue_marked_in_words(
        world: World, admin_a: Person) -> None:
    first = filed_request(world, admin_a)
    second = filed_request(world, admin_a, "admin_account")
    draft = request_id(file(admin_a, "cancel_app", {"letter_number": "9/UB"}, "draft"))
    world.deps.clock.advance(10 * DAY)  # type: ignore[attr-defined]
    operator = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    admin_a = sign_in(world, UNIT_A, "quantri2", ["unit_admin"])
    page = operator.get("/console/requests")
    assert page.status == 200
    order = [page.text.index(f'id="req-{rid}"') for rid in (first, second, draft)]
    assert order == sorted(order)
    row = page.text[order[0]:page.text.index("</tr>", order[0])]
    assert "Quá hạn" in row  # in words, not colour only
    drafts = operator.get("/console/requests?state=draft")
    assert f'id="req-{draft}"' in drafts.text and f'id="req-{first}"' not in drafts.text
    of_b = operator.get(f"/console/requests?unit={UNIT_B}&state=submitted")
    assert of_b.status == 200 and 'id="no-requests"' in of_b.text
    of_a = operator.get(f"/console/requests?unit={UNIT_A}&state=draft")
    assert f'id="req-{draft}"' in of_a.text and f'id="req-{first}"' not in of_a.text
    bad = operator.get("/console/requests?state=nonsense")
    assert bad.status == 400 and "invalid_state" in bad.text
    mine = admin_a.get("/console/requests")
    assert "Yêu cầu của đơn vị" in mine.text and f'id="req-{first}"' in mine.text


def test_the_operator_approves_and_the_secret_is_shown_once_then_the_letter(
        world: World, admin_a: Person, operator: Person) -> None:
    rid = filed_request(world, admin_a)
    detail = operator.get(f"/console/requests/{rid}")
    assert detail.status == 200 and 'id="approve-form"' in detail.text
    assert 'id="history"' in detail.text and "Lập yêu cầu" in detail.text
    result = operator.submit(detail, {"answer_number": "88/STTTT-CNTT",
                                      "support_name": "Lê Minh",
                                      "support_phone": "0204 3555 666"}, form="approve-form")
    assert result.status == 200, result.text[:500]
    secret = re.search(r'id="secret-key" class="secret">([^<]+)<', result.text)
    assert secret and 'id="shown-once"' in result.text
    assert result.headers["cache-control"] == "no-store"
    assert f"/console/requests/{rid}/letter?form=02" in result.text
    again = operator.get(f"/console/requests/{rid}")
    assert "Đã phê duyệt" in again.text and secret.group(1) not in again.text
    assert 'id="approve-form"' not in again.text
    status, headers, body = download(operator, f"/console/requests/{rid}/letter?form=02")
    assert status == 200 and headers["content-type"] == DOCX_CONTENT_TYPE
    assert headers["content-disposition"].startswith('attachment; filename="mau-02-')
    assert headers["x-frame-options"] == "DENY"
    assert zipfile.is_zipfile(io.BytesIO(body))
    text = text_of(body)
    assert "88/STTTT-CNTT" in text and "Lê Minh" in text and secret.group(1) not in text
    assert download(admin_a, f"/console/requests/{rid}/letter")[0] == 200  # its unit too
    twice = operator.submit(detail, {}, form="approve-form")
    assert twice.status == 409 and "already_answered" in twice.text


def test_form_08_and_09_show_the_client_secret_and_the_link_once(
        world: World, admin_a: Person, operator: Person) -> None:
    rid = filed_request(world, admin_a, "sso_register_app")
    result = operator.submit(operator.get(f"/console/requests/{rid}"), {},
                             form="approve-form")
    assert result.status == 200 and 'id="client-secret"' in result.text
    secret = re.search(r'id="client-secret" class="secret">([^<]+)<', result.text)
    assert secret and secret.group(1) not in operator.get(f"/console/requests/{rid}").text
    rid = filed_request(world, admin_a, "sso_admin_account")
    result = operator.submit(operator.get(f"/console/requests/{rid}"),
                             {"handover_name": "Phạm Quốc Bảo"}, form="approve-form")
    assert result.status == 200 and 'id="setup-link"' in result.text
    assert "letter?form=11" in result.text  # the handover minutes too


def test_the_operator_refuses_with_a_reason_and_the_letter_gives_it(
        world: World, admin_a: Person, operator: Person) -> None:
    rid = filed_request(world, admin_a)
    detail = operator.get(f"/console/requests/{rid}")
    empty = operator.submit(detail, {"reason": "  "}, form="refuse-form")
    assert empty.status == 400 and 'id="error"' in empty.text
    assert stored(world, rid)["state"] == "submitted"  # nothing decided
    done = operator.submit(detail, {"reason": "Thiếu văn bản đi kèm"}, form="refuse-form")
    assert done.status == 303 and done.location.endswith(f"/console/requests/{rid}?done=refused")
    page = operator.get(f"/console/requests/{rid}?done=refused")
    assert "Đã từ chối" in page.text and "Thiếu văn bản đi kèm" in page.text
    status, _, body = download(operator, f"/console/requests/{rid}/letter?form=02")
    assert status == 200 and zipfile.is_zipfile(io.BytesIO(body))
    text = text_of(body)
    assert "Thiếu văn bản đi kèm" in text


def test_a_draft_is_saved_completed_and_a_request_withdrawn(
        world: World, admin_a: Person) -> None:
    rid = request_id(file(admin_a, "register_app", {"letter_number": "7/UB"}, "draft"))
    assert stored(world, rid)["state"] == "draft"
    page = admin_a.get(f"/console/requests/{rid}?done=draft")
    assert 'id="missing"' in page.text and 'id="edit-draft"' in page.text
    edit = admin_a.get(f"/console/requests/{rid}/edit")
    assert 'value="7/UB"' in edit.text
    done = admin_a.submit(edit, {"kind": "register_app", "action": "submit", **REGISTER},
                          form="request-form")
    assert done.location.endswith("done=submitted")
    assert stored(world, rid)["state"] == "submitted"
    page = admin_a.get(f"/console/requests/{rid}")
    out = admin_a.submit(page, {}, form="withdraw-form")
    assert out.status == 303 and stored(world, rid)["state"] == "withdrawn"


def test_submitting_with_a_required_field_empty_files_nothing_and_names_it(
        world: World, admin_a: Person) -> None:
    before = world.deps.table.query("JOINREQS").items
    answer = file(admin_a, "register_app", {**REGISTER, "applicant.email": ""})
    assert answer.status == 400
    assert "Đầu mối liên hệ — Thư điện tử" in answer.text
    assert 'value="Phần mềm quản lý văn bản"' in answer.text  # what was typed stays
    bad = file(admin_a, "register_app", {**REGISTER, "applicant.email": "not-an-email"})
    assert bad.status == 400 and "«Đầu mối liên hệ — Thư điện tử»: String" in bad.text
    assert 'aria-invalid="true"' in bad.text
    url = file(admin_a, "sso_register_app", {**form_fields(world, "sso_register_app"),
                                              "redirect_uris": "http://evil.example/cb"})
    assert url.status == 400
    assert "«Địa chỉ nhận kết quả đăng nhập (redirect URI)»" in url.text
    jwks = file(admin_a, "sso_register_app", {**form_fields(world, "sso_register_app"),
                                               "jwks": "{not json"})
    assert jwks.status == 400 and "«Khóa công khai của ứng dụng (JWKS)»" in jwks.text
    assert world.deps.table.query("JOINREQS").items == before


def test_a_unit_admin_cannot_open_another_units_request(
        world: World, admin_a: Person, operator: Person) -> None:
    rid = filed_request(world, admin_a)
    admin_b = sign_in(world, UNIT_B, "quantrib", ["unit_admin"])
    page = admin_b.get(f"/console/requests/{rid}")
    assert page.status == 404 and "Phần mềm quản lý văn bản" not in page.text
    assert download(admin_b, f"/console/requests/{rid}/letter")[0] == 404
    assert f"req-{rid}" not in admin_b.get("/console/requests").text
    refused = admin_b.submit(admin_b.get("/console"), {}, form="logout")  # sanity: a form
    assert refused.status == 303
    admin_b = sign_in(world, UNIT_B, "quantrib2", ["unit_admin"])
    withdraw = admin_b.browser.post(f"https://{HOST}/console/requests/{rid}/withdraw",
                                    {"csrf": admin_b.home.hidden()})
    assert withdraw.status == 404 and stored(world, rid)["state"] == "submitted"
    approve = admin_a.browser.post(f"https://{HOST}/console/requests/{rid}/approve",
                                   {"csrf": admin_a.home.hidden()})
    assert approve.status == 403 and stored(world, rid)["state"] == "submitted"


def test_names_are_shown_as_text_never_as_markup(world: World, admin_a: Person,
                                                 operator: Person) -> None:
    evil = "<script>alert(1)</script>"
    rid = filed_request(world, admin_a, "register_app", {**REGISTER, "system_name": evil})
    for page in (operator.get("/console/requests"), operator.get(f"/console/requests/{rid}"),
                 admin_a.get("/console/requests")):
        assert evil not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(
        world: World, admin_a: Person, operator: Person) -> None:
    rid = filed_request(world, admin_a)
    for person, path, form in (
            (operator, f"/console/requests/{rid}/refuse", {"reason": "x"}),
            (operator, f"/console/requests/{rid}/approve", {}),
            (admin_a, f"/console/requests/{rid}/withdraw", {}),
            (admin_a, "/console/requests/new", {"kind": "register_app", **REGISTER})):
        answer = person.browser.post(f"https://{HOST}{path}", {"csrf": "forged", **form})
        assert answer.status == 403 and "csrf_failed" in answer.text, path
    assert stored(world, rid)["state"] == "submitted"
    assert len(world.deps.table.query("JOINREQS").items) == 1


def test_every_word_of_the_request_pages_is_in_both_languages() -> None:
    from chalicelib.api.console import texts_requests
    from chalicelib.api.console.requests_fields import FILED_ONLINE, inputs_of
    from chalicelib.api.console.texts import TEXTS
    assert set(texts_requests.VI) == set(texts_requests.EN)
    for kind in FILED_ONLINE:
        for item in inputs_of(kind):
            assert item.label in TEXTS["vi"] and item.label in TEXTS["en"], item.label
            if item.group:
                assert f"field_{item.group}" in TEXTS["en"]
        assert f"kind_{kind}" in TEXTS["en"]


def test_the_console_letter_is_documented_as_a_docx() -> None:
    from chalicelib.api.openapi import openapi_document
    op = openapi_document()["paths"]["/console/requests/{request_id}/letter"]["get"]
    assert list(op["responses"]["200"]["content"]) == [DOCX_CONTENT_TYPE]
