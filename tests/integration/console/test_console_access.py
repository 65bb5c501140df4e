"""Who may open the console, and how (R-COMP-6, R-OPS-3; docs/console.md): a person signs
in through the hub's own SSO (code flow with PKCE, redeemed in process), the console's
session stands only while the SSO's does, and every page checks the person's role."""

from __future__ import annotations

from tests.support.console import CONSOLE, OPERATOR, sign_in
from tests.support.hub import UNIT_A, World
from tests.support.sso import BASE, Browser


def test_a_page_without_a_session_goes_to_the_sso_and_back(world: World) -> None:
    browser = Browser(world.client)
    first = browser.get(f"{CONSOLE}?lang=vi")
    assert first.status == 303
    assert first.location.startswith(f"{CONSOLE}/login?")
    to_sso = browser.get(first.location)
    assert to_sso.status == 302 and to_sso.location.startswith(f"{BASE}/sso/authorize?")
    assert "code_challenge_method=S256" in to_sso.location
    assert "client_id=lgsp-console" in to_sso.location
    person = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    assert person.home.status == 200, person.home.text[:300]
    assert "<title>Tổng quan · Bảng điều khiển · LGSP</title>" in person.home.text
    assert 'lang="vi"' in person.home.text
    cookies = person.browser.cookies
    assert "lgsp_console" in cookies and "lgsp_sso" in cookies


def test_the_callback_refuses_a_state_it_did_not_issue(world: World) -> None:
    browser = Browser(world.client)
    browser.get(f"{CONSOLE}/login")
    answer = browser.get(f"{CONSOLE}/callback?code=abc&state=forged")
    assert answer.status == 400
    assert "lgsp_console" not in browser.cookies


def test_a_member_is_refused_and_a_unit_admin_sees_only_their_unit(world: World) -> None:
    member = sign_in(world, UNIT_A, "thanhvien", ["member"], )
    assert member.home.status == 403
    admin = sign_in(world, UNIT_A, "quantri", ["unit_admin"])
    assert admin.home.status == 200
    assert "Tổng quan của đơn vị" in admin.home.text


def test_signing_out_ends_the_console_and_the_sso(world: World) -> None:
    person = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    out = person.submit(person.home, {}, form="logout")
    assert out.status == 303 and out.location == f"{CONSOLE}/signed-out"
    again = person.get("/console")
    assert again.status == 303  # to the login: neither session is left
    sso = person.browser.follow(person.browser.get(again.location), stop_at=BASE)
    assert 'id="login-form"' in sso.text


def test_a_post_without_the_csrf_token_is_refused(world: World) -> None:
    person = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    answer = person.browser.post(f"{CONSOLE}/logout", {"csrf": "forged"})
    assert answer.status == 403 and "csrf_failed" in answer.text
    assert person.get("/console").status == 200  # still signed in


def test_a_disabled_person_is_out_at_once(world: World) -> None:
    from chalicelib.services import people
    person = sign_in(world, OPERATOR, "vanhanh", ["operator"])
    item = people.load(world.deps, person.account)
    assert item is not None
    people.save(world.deps, item, {"status": "disabled"})
    assert person.get("/console").status == 303
