"""The registry's console pages (R-JOIN-1, R-JOIN-5, R-OPS-3, R-PROP-11;
docs/console.md): units, import, re-organisation, apps and keys, people. Each
page calls the services with the signed-in person, so who may see and change what is
the services' rule; these tests check the pages keep to it."""

from __future__ import annotations

import html
from typing import Any

from chalicelib.services import registry, units
from tests.support.console import (
    CONSOLE,
    Person,
    sign_in,
)
from tests.support.hub import UNIT_A, UNIT_B, World

XSS = "<script>alert(1)</script>"


def main(page: Any) -> str:
    """The page's own content (not the header naming who is signed in)."""
    return str(page.text).split('<main id="main">')[1]


# --- Units ---------------------------------------------------------------------------

def test_units_are_listed_and_searched_without_accents(world: World, operator: Person
                                                       ) -> None:
    units.create_unit(world.deps, "000.01.31.H99", "Sở Tài chính")
    units.create_unit(world.deps, "000.02.31.H99", "Sở Y tế", status="suspended")
    page = operator.get("/console/units")
    assert page.status == 200
    assert "<title>Đơn vị của tỉnh · Bảng điều khiển · LGSP</title>" in page.text
    assert "Sở Tài chính" in page.text and UNIT_A in page.text
    found = operator.get("/console/units?q=so+tai+ch")
    assert "Sở Tài chính" in found.text and "Sở Y tế" not in found.text
    suspended = operator.get("/console/units?status=suspended")
    assert "Sở Y tế" in suspended.text and "Sở Tài chính" not in suspended.text
    english = operator.get("/console/units?lang=en")
    assert "The province&#39;s units" in english.text and "Suspended" in english.text


def test_a_unit_shows_its_facts_apps_people_and_history(world: World, operator: Person
                                                        ) -> None:
    sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    units.update_unit(world.deps, UNIT_A, {"short_name": "Đơn vị A"}, actor="vanhanh@op")
    page = operator.get(f"/console/units/{UNIT_A}")
    assert page.status == 200, page.text[:300]
    assert 'id="unit-code">000.00.01.H99<' in page.text
    assert "quantri@" in page.text  # the person made above
    assert "Đăng ký đơn vị" in page.text  # the history's first line
    assert "Sửa thông tin" in page.text and "vanhanh@op" in page.text  # who did what
    assert "short_name: Đơn vị A" in page.text


def test_an_unknown_or_malformed_unit_is_a_clear_error_page(operator: Person) -> None:
    missing = operator.get("/console/units/000.00.77.H99")
    assert missing.status == 404 and "unknown_unit" in missing.text
    bad = operator.get("/console/units/nonsense")
    assert bad.status == 400 and "invalid_unit_code" in bad.text


def test_unit_pages_are_for_operators_only(world: World, admin_a: Person) -> None:
    listed = admin_a.get("/console/units")
    assert listed.status == 403 and UNIT_B not in listed.text
    own = admin_a.get(f"/console/units/{UNIT_A}")
    assert own.status == 403 and UNIT_A not in main(own)
    assert "/console/units" not in admin_a.home.text  # not in their menu


def test_a_unit_name_with_markup_is_shown_as_text(world: World, operator: Person) -> None:
    units.create_unit(world.deps, "000.03.31.H99", XSS)
    listed = operator.get("/console/units")
    detail = operator.get("/console/units/000.03.31.H99")
    for page in (listed, detail):
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_the_units_are_in_the_operators_menu(operator: Person) -> None:
    assert '/console/units">Đơn vị</a>' in operator.home.text


# --- Import --------------------------------------------------------------------------

GOOD_CSV = ("code,name,short_name\r\n000.01.31.H99,Sở Tài chính,STC\r\n"
            "000.02.31.H99,Sở Y tế,\r\n")


def test_an_import_is_a_dry_run_first_then_confirmed(world: World, operator: Person) -> None:
    form = operator.get("/console/units/import")
    assert form.status == 200 and 'id="import-form"' in form.text
    report = operator.submit(form, {"format": "csv", "data": GOOD_CSV}, form="import-form")
    assert report.status == 200, report.text[:400]
    assert 'id="import-rows">2<' in report.text and 'id="import-good">2<' in report.text
    assert 'class="line-good"' in report.text and "Sở Tài chính" in report.text
    assert units.get_unit(world.deps, "000.01.31.H99") is None  # a dry run writes nothing
    done = operator.submit(report, {"format": "csv", "data": GOOD_CSV}, form="import-apply")
    assert done.status == 303 and done.location.endswith("/console/units?imported=2")
    listed = operator.get("/console/units?imported=2")
    assert "Đã nhập 2 đơn vị." in listed.text and "Sở Y tế" in listed.text
    assert units.get_unit(world.deps, "000.02.31.H99") is not None


def test_an_import_with_bad_rows_reports_each_and_offers_no_confirm(world: World,
                                                                    operator: Person) -> None:
    data = GOOD_CSV + f"000.05.00.H99,Bad\r\n{UNIT_A},Exists\r\n000.01.31.H99,Twice\r\n"
    form = operator.get("/console/units/import")
    report = operator.submit(form, {"format": "csv", "data": data}, form="import-form")
    assert report.status == 200
    assert 'id="import-apply"' not in report.text and 'id="import-invalid"' in report.text
    for code in ("invalid_unit_code", "unit_exists", "duplicate_code"):
        assert code in report.text
    assert report.text.count('class="line-bad"') == 3
    assert units.get_unit(world.deps, "000.01.31.H99") is None


def test_an_unreadable_or_empty_list_is_a_400_with_the_form_again(operator: Person) -> None:
    form = operator.get("/console/units/import")
    empty = operator.submit(form, {"format": "csv", "data": "  "}, form="import-form")
    assert empty.status == 400 and 'id="error"' in empty.text
    unreadable = operator.submit(form, {"format": "json", "data": "{not json"},
                                 form="import-form")
    assert unreadable.status == 400 and 'id="import-form"' in unreadable.text
    assert "The JSON does not parse" in unreadable.text


def test_an_import_without_the_csrf_token_changes_nothing(world: World, operator: Person
                                                          ) -> None:
    answer = operator.browser.post("https://lgsp.test/console/units/import/apply",
                                   {"csrf": "forged", "format": "csv", "data": GOOD_CSV})
    assert answer.status == 403 and "csrf_failed" in answer.text
    assert units.get_unit(world.deps, "000.01.31.H99") is None


def test_a_unit_admin_cannot_import(world: World, admin_a: Person) -> None:
    answer = admin_a.browser.post("https://lgsp.test/console/units/import/apply",
                                  {"csrf": admin_a.home.hidden(), "format": "csv",
                                   "data": GOOD_CSV})
    assert answer.status == 403
    assert units.get_unit(world.deps, "000.01.31.H99") is None


# --- Re-organisation -----------------------------------------------------------------

def test_a_merge_is_previewed_then_applied_with_its_legal_basis(world: World,
                                                                operator: Person) -> None:
    form = operator.get("/console/units/reorg")
    assert form.status == 200
    fields = {"kind": "merge", "units": f"{UNIT_A}, {UNIT_B}",
              "successors": "000.04.31.H99; Sở Hợp nhất; SHN", "new_name": "",
              "new_short_name": "", "decision_number": "12/QĐ-UBND",
              "decision_date": "2026-01-05", "effective_date": "2020-01-01"}
    preview = operator.submit(form, fields, form="reorg-form")
    assert preview.status == 200, preview.text[:400]
    assert "Sở Hợp nhất" in preview.text and "áp dụng ngay" in preview.text
    assert units.get_unit(world.deps, "000.04.31.H99") is None  # nothing yet
    done = operator.submit(preview, fields, form="reorg-apply")
    assert done.status == 303 and "/console/units/reorg?done=" in done.location
    after = operator.get(done.location.removeprefix("https://lgsp.test"))
    assert 'id="notice"' in after.text and "12/QĐ-UBND" in after.text
    merged = units.get_unit(world.deps, UNIT_A)
    assert merged is not None and merged["status"] == "dissolved"
    assert merged["successors"] == ["000.04.31.H99"]


def test_a_reorg_that_does_not_hold_together_is_a_400_and_changes_nothing(
        world: World, operator: Person) -> None:
    form = operator.get("/console/units/reorg")
    bad = operator.submit(form, {"kind": "merge", "units": UNIT_A, "successors": "",
                                 "decision_number": "", "decision_date": "",
                                 "effective_date": "2020-01-01"}, form="reorg-form")
    assert bad.status == 400 and 'id="error"' in bad.text and 'id="reorg-form"' in bad.text
    unknown = operator.submit(form, {"kind": "dissolve", "units": "000.00.77.H99",
                                     "decision_number": "1/QĐ", "decision_date": "2026-01-01",
                                     "effective_date": "2020-01-01"}, form="reorg-form")
    assert unknown.status == 404 and "000.00.77.H99" in unknown.text
    unit = units.get_unit(world.deps, UNIT_A)
    assert unit is not None and unit["status"] == "active"


# --- Apps and keys -------------------------------------------------------------------

def test_an_operator_creates_an_app_and_sees_its_secret_once(world: World, operator: Person
                                                             ) -> None:
    page = operator.get(f"/console/apps?unit={UNIT_B}")
    assert page.status == 200 and 'id="create-app"' in page.text
    made = operator.submit(page, {"unit": UNIT_B, "name": "Phần mềm văn bản",
                                  "algorithm": "hmac-sha256", "public_key": "",
                                  "role": "app", "legacy": "no"}, form="create-app")
    assert made.status == 200, made.text[:400]
    assert 'id="secret-warning"' in made.text
    secret = made.text.split('id="secret-key">')[1].split("<")[0]
    key_id = made.text.split('id="access-key">')[1].split("<")[0]
    assert len(secret) > 30 and made.headers["cache-control"] == "no-store"
    listed = operator.get(f"/console/apps?unit={UNIT_B}")
    assert key_id in listed.text and "Phần mềm văn bản" in listed.text
    assert secret not in listed.text  # never again
    detail = operator.get(f"/console/units/{UNIT_B}")
    assert "Tạo ứng dụng" in detail.text and secret not in detail.text


def test_an_operator_issues_another_key_and_the_old_one_stays(world: World, operator: Person
                                                              ) -> None:
    page = operator.get(f"/console/apps?unit={UNIT_A}")
    app_id = page.text.split('id="app-')[1].split('"')[0]
    added = operator.submit(page, {"algorithm": "hmac-sha256", "public_key": ""},
                            form=f"add-key-{app_id}")
    assert added.status == 200 and 'id="secret-key">' in added.text
    key_id = added.text.split('id="access-key">')[1].split("<")[0]
    listed = operator.get(f"/console/apps?unit={UNIT_A}")
    assert listed.text.count("/revoke\">") == 2 and key_id in listed.text
    assert "Cấp thêm khóa" in operator.get(f"/console/units/{UNIT_A}").text


def test_a_unit_admin_revokes_a_key_of_their_unit_after_confirming(world: World,
                                                                   admin_a: Person) -> None:
    page = admin_a.get("/console/apps")
    assert page.status == 200 and UNIT_A in page.text
    assert 'id="create-app"' not in page.text  # keys are issued by the operators
    link = page.text.split('/revoke">')[0].rsplit('href="', 1)[1] + "/revoke"
    confirm = admin_a.get(link.removeprefix("https://lgsp.test"))
    assert confirm.status == 200 and 'id="revoke-form"' in confirm.text
    key_id = link.split("/keys/")[1].split("/")[0]
    done = admin_a.submit(confirm, {}, form="revoke-form")
    assert done.status == 303 and f"revoked={key_id}" in done.location
    after = admin_a.get(done.location.removeprefix("https://lgsp.test"))
    assert "Đã thu hồi khóa" in after.text, main(after)[:1500]
    assert "Đã thu hồi (" in after.text
    found = registry.find_verification_key(world.deps, key_id)
    assert found is not None and not found.active


def test_a_unit_admin_sees_and_touches_nothing_of_another_unit(world: World, admin_a: Person,
                                                               operator: Person) -> None:
    other = operator.get(f"/console/apps?unit={UNIT_B}")
    app_b = other.text.split('id="app-')[1].split('"')[0]
    key_b = other.text.split('id="key-')[1].split('"')[0]
    listed = admin_a.get(f"/console/apps?unit={UNIT_B}")
    assert listed.status == 403 and app_b not in listed.text and key_b not in listed.text
    confirm = admin_a.get(f"/console/apps/{app_b}/keys/{key_b}/revoke")
    assert confirm.status == 404 and key_b not in main(confirm)
    revoke = admin_a.browser.post(f"https://lgsp.test/console/apps/{app_b}/keys/{key_b}/revoke",
                                  {"csrf": admin_a.home.hidden()})
    assert revoke.status == 404
    found = registry.find_verification_key(world.deps, key_b)
    assert found is not None and found.active
    create = admin_a.browser.post("https://lgsp.test/console/apps", {
        "csrf": admin_a.home.hidden(), "unit": UNIT_A, "name": "x", "algorithm": "hmac-sha256"})
    assert create.status == 403
    added = admin_a.browser.post(f"https://lgsp.test/console/apps/{app_b}/keys",
                                 {"csrf": admin_a.home.hidden(), "algorithm": "hmac-sha256"})
    assert added.status == 404 and "secret" not in main(added)


def test_a_revoke_without_the_csrf_token_changes_nothing(world: World, operator: Person
                                                         ) -> None:
    page = operator.get(f"/console/apps?unit={UNIT_A}")
    app_a = page.text.split('id="app-')[1].split('"')[0]
    key_a = page.text.split('id="key-')[1].split('"')[0]
    answer = operator.browser.post(
        f"https://lgsp.test/console/apps/{app_a}/keys/{key_a}/revoke", {"csrf": "forged"})
    assert answer.status == 403 and "csrf_failed" in answer.text
    found = registry.find_verification_key(world.deps, key_a)
    assert found is not None and found.active


def test_an_app_name_with_markup_is_shown_as_text(world: World, operator: Person) -> None:
    registry.create_app(world.deps, UNIT_A, XSS)
    page = operator.get(f"/console/apps?unit={UNIT_A}")
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_bad_app_form_is_a_400_with_the_form_again(world: World, operator: Person) -> None:
    page = operator.get(f"/console/apps?unit={UNIT_A}")
    answer = operator.submit(page, {"unit": UNIT_A, "name": "", "algorithm": "hmac-sha256",
                                    "role": "app", "legacy": "no"}, form="create-app")
    assert answer.status == 400 and 'id="error"' in answer.text
    assert 'id="create-app"' in answer.text


# --- People --------------------------------------------------------------------------

def test_a_unit_admin_creates_a_person_and_sees_the_link_once(world: World, admin_a: Person
                                                              ) -> None:
    from chalicelib.services import people
    page = admin_a.get("/console/people")
    assert page.status == 200 and "quantri@" in main(page)
    assert 'id="role-operator"' not in page.text  # only operators make operators
    made = admin_a.submit(page, {"unit": UNIT_A, "username": "nhanvien", "name": "Lê Văn C",
                                 "email": "", "roles": "member"}, form="create-person")
    assert made.status == 200, made.text[:400]
    link = made.text.split('id="link">')[1].split("<")[0]
    assert link.startswith("https://lgsp.test/sso/setup/")
    listed = admin_a.get("/console/people")
    assert "nhanvien@" in listed.text and link not in listed.text
    item = people.load(world.deps, made.text.split('id="person-account">')[1].split("<")[0])
    assert item is not None and item["created_by"]


def test_disable_enable_and_reset(world: World, operator: Person) -> None:
    from chalicelib.services import people
    member = sign_in(world, UNIT_A, "nhanvien", ["member"])
    page = operator.get(f"/console/people?unit={UNIT_A}")
    assert 'name="status" value="disabled"' in page.text
    off = operator.submit(page, {"unit": UNIT_A, "status": "disabled"}, form="status-nhanvien")
    assert off.status == 303 and "done=disabled" in off.location
    after = operator.get(off.location.removeprefix("https://lgsp.test"))
    assert 'id="notice"' in after.text
    item = people.load(world.deps, member.account)
    assert item is not None and item["status"] == "disabled"
    assert member.get("/console").status in (303, 403)  # their session ended
    assert 'name="status" value="active"' in after.text
    on = operator.submit(after, {"unit": UNIT_A, "status": "active"}, form="status-nhanvien")
    assert on.status == 303 and "done=active" in on.location
    reset = operator.submit(operator.get(f"/console/people?unit={UNIT_A}"),
                            {"unit": UNIT_A}, form="reset-nhanvien")
    assert reset.status == 200 and "/sso/setup/" in reset.text


def test_a_unit_admin_cannot_see_or_change_another_units_people(world: World,
                                                                admin_a: Person) -> None:
    sign_in(world, UNIT_B, "nguoib", ["member"])
    listed = admin_a.get(f"/console/people?unit={UNIT_B}")
    assert listed.status == 403 and "nguoib" not in listed.text
    off = admin_a.browser.post("https://lgsp.test/console/people/nguoib/status", {
        "csrf": admin_a.home.hidden(), "unit": UNIT_B, "status": "disabled"})
    assert off.status == 403 and "nguoib" not in main(off)
    reset = admin_a.browser.post("https://lgsp.test/console/people/nguoib/reset", {
        "csrf": admin_a.home.hidden(), "unit": UNIT_B})
    assert reset.status == 403 and "/sso/setup/" not in reset.text
    made = admin_a.browser.post("https://lgsp.test/console/people", {
        "csrf": admin_a.home.hidden(), "unit": UNIT_B, "username": "ke", "name": "x",
        "roles": "member"})
    assert made.status == 403 and "/sso/setup/" not in made.text


def test_a_person_form_without_csrf_or_with_bad_input(world: World, operator: Person) -> None:
    forged = operator.browser.post("https://lgsp.test/console/people", {
        "csrf": "forged", "unit": UNIT_A, "username": "ke", "name": "x", "roles": "member"})
    assert forged.status == 403 and "csrf_failed" in forged.text
    page = operator.get(f"/console/people?unit={UNIT_A}")
    bad = operator.submit(page, {"unit": UNIT_A, "username": "1bad", "name": "x",
                                 "roles": "member"}, form="create-person")
    assert bad.status == 400 and 'id="create-person"' in bad.text
    assert "ke@" not in operator.get(f"/console/people?unit={UNIT_A}").text


def workbook(rows: list[list[object]]) -> bytes:
    import io

    import openpyxl
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_spreadsheet_is_uploaded_and_checked_like_a_pasted_list(world: World,
                                                                   operator: Person) -> None:
    """Operators keep unit lists in Excel: an XLSX (first sheet) or CSV file is uploaded
    with the form (multipart) and gets the same dry run as a pasted list."""
    form = operator.get("/console/units/import")
    assert 'enctype="multipart/form-data"' in form.text and 'id="file"' in form.text
    data = workbook([["code", "name", "short_name"], ["000.01.31.H99", "Sở Tài chính", "STC"],
                     [], ["000.02.31.H99", "Sở Y tế", None]])
    report = operator.browser.post_files(f"{CONSOLE}/units/import", {
        "csrf": form.hidden(), "format": "csv", "data": ""},
        {"file": ("don-vi.xlsx", data)})
    assert report.status == 200, report.text[:400]
    assert 'id="import-rows">2<' in report.text and 'id="import-good">2<' in report.text
    assert units.get_unit(world.deps, "000.01.31.H99") is None
    checked = {"format": report.hidden("format"), "data": html.unescape(report.hidden("data"))}
    assert checked["format"] == "csv" and "Sở Y tế" in checked["data"]  # the sheet, as CSV
    done = operator.submit(report, checked, form="import-apply")
    assert done.status == 303 and units.get_unit(world.deps, "000.02.31.H99") is not None
    csv_file = operator.browser.post_files(f"{CONSOLE}/units/import", {
        "csrf": form.hidden(), "format": "json", "data": ""},
        {"file": ("them.csv", "\ufeffcode,name\n000.03.31.H99,Sở Nội vụ\n".encode())})
    assert 'id="import-good">1<' in csv_file.text


def test_an_unreadable_upload_is_a_400_and_a_forged_one_is_refused(world: World,
                                                                   operator: Person) -> None:
    form = operator.get("/console/units/import")
    broken = operator.browser.post_files(f"{CONSOLE}/units/import", {
        "csrf": form.hidden(), "format": "csv", "data": ""}, {"file": ("x.xlsx", b"PK\x03junk")})
    assert broken.status == 400 and 'id="error"' in broken.text
    forged = operator.browser.post_files(f"{CONSOLE}/units/import", {
        "csrf": "forged", "format": "csv", "data": ""},
        {"file": ("don-vi.xlsx", workbook([["code", "name"], ["000.07.31.H99", "X"]]))})
    assert forged.status == 403
    assert units.get_unit(world.deps, "000.07.31.H99") is None
