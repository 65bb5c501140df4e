"""Joining and leaving workflows (R-OPS-1..3, R-JOIN-2..4): a unit admin files, an operator
approves or refuses within 5 working days (R-OPS-2), approval creates or cancels the app,
the answer letter is a Word document, and units never see each other's requests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import docx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms

from app import app
from chalicelib.domain.join_requests import DOCX_CONTENT_TYPE
from chalicelib.services import registry
from chalicelib.services.registry import IssuedCredentials
from tests.support.fakes import FakeClock
from tests.support.hub import HOST, UNIT_A, UNIT_B, SignedClient, World
from tests.support.signing import sign

OPERATOR = "000.00.30.H99"
DAY = 24 * 3600
CONTACT = {"name": "Nguyễn Văn Hùng", "position": "Chuyên viên CNTT",
           "email": "hung@stc.example.gov.vn", "phone": "0204 3856 123"}
LETTER = {"letter_number": "125/STC-VP", "letter_date": "2026-11-16", "applicant": CONTACT}
REGISTER = {**LETTER, "system_name": "Phần mềm quản lý văn bản", "short_name": "QLVB",
            "developer": "Công ty Cổ phần Phần mềm Bắc Giang",
            "purpose": "Gửi, nhận văn bản điện tử với các sở, ngành",
            "data_exchanged": "Văn bản đi, văn bản đến (edXML)"}
ADMIN = {**LETTER, "admin": {"name": "Trần Thị Lan", "position": "Trưởng phòng",
                             "email": "lan@stc.example.gov.vn"}}


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": OPERATOR}


@dataclass
class People:
    operator: SignedClient
    admin_a: SignedClient
    admin_b: SignedClient


@pytest.fixture
def people(hub: World) -> People:
    return make_people(hub)


def make_people(hub: World) -> People:
    """The IT department's console app and an admin app of each of two units."""
    registry.create_unit(hub.deps, OPERATOR, "Sở Thông tin và Truyền thông")
    return People(
        operator=hub.as_(registry.create_app(hub.deps, OPERATOR, "console")),
        admin_a=hub.as_(registry.create_app(hub.deps, UNIT_A, "admin", role="unit_admin")),
        admin_b=hub.as_(registry.create_app(hub.deps, UNIT_B, "admin", role="unit_admin")))


def filed(client: SignedClient, kind: str, fields: dict[str, Any], **extra: Any
          ) -> dict[str, Any]:
    reply = client.post("/v1/admin/requests", {"kind": kind, "fields": fields, **extra})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def approved(people: People, request_id: str, **body: Any) -> dict[str, Any]:
    reply = people.operator.post(f"/v1/admin/requests/{request_id}/approve", body)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def download(client: SignedClient, path: str) -> tuple[int, dict[str, str], bytes]:
    headers = sign("GET", f"http://{HOST}{path}", key_id=client.creds.access_key,
                   secret=client.creds.secret_key, created=client.deps.clock.now(),
                   headers={"host": HOST, "accept": DOCX_CONTENT_TYPE})
    res = client.http.request("GET", path, headers=headers)
    return res.status_code, {k.lower(): v for k, v in res.headers.items()}, res.body


def text_of(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_complete_request_is_due_in_5_working_days_and_approval_creates_the_app(
        hub: World, people: People) -> None:
    # The fake clock is Wednesday 18/11/2026 (UTC+7): five working days, Tuesday 24/11
    # (Vietnam Culture Day) off, so due Thursday 26/11 (R-OPS-2).
    request = filed(people.admin_a, "register_app", REGISTER)
    assert request["state"] == "submitted" and request["missing"] == []
    assert request["unit"] == UNIT_A and request["form"] == "01"
    assert request["due_date"] == "2026-11-26" and request["due_at"] == "2026-11-26T16:59:59Z"
    answer = approved(people, request["id"], answer_number="88/STTTT-CNTT",
                      support_contact={"name": "Lê Minh", "phone": "0204 3555 666"})
    creds = answer["credentials"]
    assert creds["unit"] == UNIT_A and creds["secret_key"]
    assert answer["request"]["state"] == "approved"
    assert answer["request"]["result"]["app"] == creds["app"]
    assert creds["secret_key"] not in str(people.admin_a.get(
        f"/v1/admin/requests/{request['id']}").body)
    new_app = hub.as_(IssuedCredentials(UNIT_A, creds["app"], creds["access_key"],
                                        creds["secret_key"], creds["algorithm"]))
    who = new_app.get("/v1/whoami")
    assert who.status == 200 and who.body["unit"] == UNIT_A  # R-JOIN-2, R-JOIN-3


def test_an_incomplete_request_is_a_draft_until_completed(hub: World, people: People) -> None:
    partial = {k: v for k, v in REGISTER.items() if k not in ("purpose", "applicant")}
    draft = filed(people.admin_a, "register_app", {**partial, "applicant": {"name": "An"}})
    assert draft["state"] == "draft" and draft["due_date"] is None
    assert set(draft["missing"]) == {"purpose", "applicant.position", "applicant.email",
                                     "applicant.phone"}
    path = f"/v1/admin/requests/{draft['id']}"
    assert people.operator.post(path + "/approve").code == "request_incomplete"
    hub.deps.clock.advance(2 * DAY)  # completed on Friday 20/11: due Monday 30/11
    done = people.admin_a.call("PATCH", path, {"fields": {"purpose": "Liên thông văn bản",
                                                          "applicant": CONTACT}})
    assert done.status == 200 and done.body["state"] == "submitted"
    assert done.body["due_date"] == "2026-11-30"
    assert [h["event"] for h in done.body["history"]] == ["filed", "completed"]
    again = people.admin_a.call("PATCH", path, {"fields": {"purpose": "x"}})
    assert again.status == 409 and again.code == "request_not_draft"


def test_bad_fields_are_refused(hub: World, people: People) -> None:
    reply = people.admin_a.post("/v1/admin/requests", {
        "kind": "register_app", "fields": {**REGISTER, "applicant": {"email": "not-mail"}}})
    assert reply.status == 400 and "fields.applicant.email" in reply.body["error"]["message"]
    reply = people.admin_a.post("/v1/admin/requests", {
        "kind": "register_app", "fields": {**REGISTER, "colour": "blue"}})
    assert reply.status == 400


def test_refusal_needs_a_reason_and_double_approval_is_409(hub: World, people: People
                                                           ) -> None:
    request = filed(people.admin_a, "register_app", REGISTER)
    path = f"/v1/admin/requests/{request['id']}"
    for body in ({}, {"reason": "   "}):
        reply = people.operator.post(path + "/refuse", body)
        assert reply.status == 400 and reply.code == "reason_required"
    approved(people, request["id"])
    second = people.operator.post(path + "/approve")
    assert second.status == 409 and second.code == "already_answered"
    assert people.operator.post(path + "/refuse", {"reason": "late"}).status == 409
    assert people.admin_a.post(path + "/withdraw").code == "request_closed"

    other = filed(people.admin_a, "register_app", REGISTER)
    refused = people.operator.post(f"/v1/admin/requests/{other['id']}/refuse",
                                   {"reason": "Thiếu tài liệu thiết kế"})
    assert refused.status == 200 and refused.body["state"] == "refused"
    assert refused.body["reason"] == "Thiếu tài liệu thiết kế"


def test_cancel_app_revokes_the_apps_keys_at_once(hub: World, people: People) -> None:
    target = hub.a.creds  # the unit's existing app
    assert hub.a.get("/v1/whoami").status == 200
    request = filed(people.admin_a, "cancel_app", {**LETTER, "app_id": target.app,
                                                   "reason": "Ứng dụng đã ngưng hoạt động"})
    answer = approved(people, request["id"])
    assert answer["request"]["result"]["revoked_keys"] == [target.access_key]
    refused = hub.a.get("/v1/whoami")
    assert refused.status == 401 and refused.code == "key_revoked"
    link = hub.deps.table.get(f"APP#{target.app}", f"KEY#{target.access_key}")
    assert link is not None and link["status"] == "revoked"


def test_cancelling_another_units_app_is_not_found(hub: World, people: People) -> None:
    reply = people.admin_a.post("/v1/admin/requests", {
        "kind": "cancel_app", "fields": {**LETTER, "app_id": hub.b.creds.app, "reason": "x"}})
    assert reply.status == 404 and reply.code == "app_not_found"


def test_admin_account_creates_a_unit_admin(hub: World, people: People) -> None:
    request = filed(people.operator, "admin_account", ADMIN, unit=UNIT_B)
    creds = approved(people, request["id"])["credentials"]
    new_admin = hub.as_(IssuedCredentials(UNIT_B, creds["app"], creds["access_key"],
                                          creds["secret_key"], creds["algorithm"]))
    listing = new_admin.get("/v1/admin/requests")  # R-OPS-3: it manages its own unit
    assert listing.status == 200 and [i["id"] for i in listing.body["items"]] == \
        [request["id"]]


def test_rsa_registration_carries_the_public_key_and_returns_no_secret(
        hub: World, people: People) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    request = filed(people.admin_a, "register_app",
                    {**REGISTER, "algorithm": "rsa-pss-sha512", "public_key": pem})
    creds = approved(people, request["id"])["credentials"]
    assert creds["secret_key"] is None and creds["algorithm"] == "rsa-pss-sha512"
    app_client = hub.as_(IssuedCredentials(UNIT_A, creds["app"], creds["access_key"], None,
                                           "rsa-pss-sha512"))
    assert app_client.get("/v1/whoami", key=private,
                          algorithm=algorithms.RSA_PSS_SHA512).status == 200


def test_roles_are_kept_apart(hub: World, people: People) -> None:
    request = filed(people.admin_a, "register_app", REGISTER)
    path = f"/v1/admin/requests/{request['id']}"
    for call in (lambda: people.admin_b.get(path),
                 lambda: people.admin_b.call("PATCH", path, {"fields": {}}),
                 lambda: people.admin_b.post(path + "/withdraw")):
        reply = call()
        assert reply.status == 404 and reply.code == "request_not_found"
    assert people.admin_b.get("/v1/admin/requests").body["items"] == []
    assert people.admin_b.get(f"/v1/admin/requests?unit={UNIT_A}").status == 403
    assert people.admin_a.post(path + "/approve").status == 403  # not an operator
    assert people.admin_a.post(path + "/refuse", {"reason": "x"}).status == 403
    assert hub.a.post("/v1/admin/requests", {"kind": "register_app",
                                             "fields": REGISTER}).status == 403
    assert hub.a.get("/v1/admin/requests").status == 403
    assert hub.a.get(path).status == 403  # an ordinary app of the same unit
    other_unit = people.admin_a.post("/v1/admin/requests", {
        "kind": "register_app", "unit": UNIT_B, "fields": REGISTER})
    assert other_unit.status == 403
    assert people.admin_a.post(path + "/withdraw").body["state"] == "withdrawn"


def test_operators_see_overdue_requests_first(hub: World, people: People) -> None:
    clock = hub.deps.clock
    assert isinstance(clock, FakeClock)
    old = filed(people.admin_a, "register_app", REGISTER)  # Wed 18/11: due Thu 26/11
    clock.advance(DAY)
    draft = filed(people.admin_b, "admin_account", {"letter_number": "7/UB"})
    newer = filed(people.admin_b, "admin_account", ADMIN)  # Thu 19/11: due Fri 27/11
    answered = filed(people.admin_a, "register_app", REGISTER)
    approved(people, answered["id"])
    clock.advance(8 * DAY)  # Friday 27/11, 18:06: the first is overdue
    items = people.operator.get("/v1/admin/requests").body["items"]
    assert [i["id"] for i in items] == [old["id"], newer["id"], draft["id"], answered["id"]]
    assert [i["overdue"] for i in items] == [True, False, False, False]
    only_open = people.operator.get("/v1/admin/requests?state=submitted").body["items"]
    assert [i["id"] for i in only_open] == [old["id"], newer["id"]]
    mine = people.admin_a.get("/v1/admin/requests").body["items"]
    assert [i["id"] for i in mine] == [answered["id"], old["id"]]  # newest first


def test_the_state_filter_is_checked_and_only_for_the_operators_list(
        hub: World, people: People) -> None:
    # Found by the API fuzz test: with `unit` (or from a unit admin) the state filter was
    # neither checked nor applied: `?unit=…&state=anything` answered 200, unfiltered.
    filed(people.admin_a, "register_app", REGISTER)
    for client, query in ((people.operator, f"state=nonsense&unit={UNIT_A}"),
                          (people.admin_a, "state=nonsense"),
                          (people.operator, "state=nonsense")):
        res = client.get(f"/v1/admin/requests?{query}")
        assert (res.status, res.code) == (400, "invalid_state"), query
    for client, query in ((people.operator, f"state=submitted&unit={UNIT_A}"),
                          (people.admin_a, "state=submitted")):
        res = client.get(f"/v1/admin/requests?{query}")
        assert (res.status, res.code) == (400, "invalid_request"), query
        assert "unit" in res.body["error"]["message"]
    assert people.operator.get("/v1/admin/requests?state=submitted").status == 200


def test_the_answer_letter_is_a_docx_with_the_requests_data(hub: World,
                                                             people: People) -> None:
    assert DOCX_CONTENT_TYPE in app.api.binary_types
    request = filed(people.admin_a, "admin_account", ADMIN)
    path = f"/v1/admin/requests/{request['id']}/letter"
    assert download(people.admin_a, path)[0] == 409  # not answered yet
    answer = approved(people, request["id"], answer_number="88/STTTT-CNTT",
                      support_contact={"name": "Lê Minh", "phone": "0204 3555 666"},
                      handover_by={"name": "Phạm Quốc Bảo", "position": "Phó Giám đốc"})
    creds = answer["credentials"]
    status, headers, body = download(people.admin_a, path)
    assert status == 200 and headers["content-type"] == DOCX_CONTENT_TYPE
    assert headers["content-disposition"].startswith('attachment; filename="mau-04-')
    text = text_of(body)
    for expected in (f"Đơn vị {UNIT_A} (mã định danh {UNIT_A})", "125/STC-VP", "16/11/2026",
                     "18/11/2026", "Trần Thị Lan", creds["access_key"], creds["app"],
                     "Lê Minh", "88/STTTT-CNTT", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"):
        assert expected in text, expected
    assert creds["secret_key"] not in text
    status, _, minutes = download(people.operator, path + "?form=05")
    assert status == 200 and "BIÊN BẢN" in text_of(minutes)
    assert "Phạm Quốc Bảo" in text_of(minutes) and "Trần Thị Lan" in text_of(minutes)
    assert download(people.admin_b, path)[0] == 404
    assert download(people.admin_a, path + "?form=07")[0] == 404


def test_a_refusal_letter_gives_the_reason(hub: World, people: People) -> None:
    request = filed(people.admin_a, "cancel_app", {**LETTER, "app_id": hub.a.creds.app,
                                                   "reason": "Ngưng hoạt động"})
    people.operator.post(f"/v1/admin/requests/{request['id']}/refuse",
                         {"reason": "Ứng dụng còn đang gửi văn bản"})
    status, _, body = download(people.operator, f"/v1/admin/requests/{request['id']}/letter")
    assert status == 200 and "Ứng dụng còn đang gửi văn bản" in text_of(body)
    assert hub.a.get("/v1/whoami").status == 200  # refused: the app keeps working
