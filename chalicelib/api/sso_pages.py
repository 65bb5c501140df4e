"""The pages where a person signs in to the province's single sign-on (R-COMP-6):
password, second factor (and its enrolment), the one-time set-password link, the
signed-in page with its sign-out, and the confirmation of a device (the `lgsp` CLI).

Each page works without JavaScript; `next` (a path of the SSO, usually the
`/sso/authorize?…` request that sent the person here) is where a finished login goes.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api import pages
from chalicelib.api.pages import Page
from chalicelib.domain import people as people_rules

if TYPE_CHECKING:
    from chalicelib.services.deps import Deps

sso_pages_api = Blueprint(__name__)
SESSION_COOKIE, STEP_COOKIE = "lgsp_sso", "lgsp_login"
STEP_SECONDS = people_rules.LOGIN_STEP_SECONDS


def _start(request: Request) -> tuple[Deps, Page]:
    from chalicelib.bootstrap import deps
    d = deps()
    return d, pages.page_of(request, pages.public_base(request, d.settings))


def _next(page: Page) -> str:
    return pages.safe_next(page.arg("next") or page.field("next")) or "/sso/"


def _with_next(path: str, page: Page) -> str:
    return f"{page.base}{path}?" + urllib.parse.urlencode({"next": _next(page),
                                                            "lang": page.lang})


def _static(page: Page) -> str:
    return f"{page.base}/sso/static"


def _form_page(d: Deps, page: Page, template: str, *, status: int = 200,
               **context: Any) -> Response:
    return pages.render(page, f"sso/{template}", status=status, static=_static(page),
                        csrf=pages.csrf_token(d, page),
                        action=_with_next(page.request.path, page)
                        if "action" not in context else context.pop("action"),
                        **context)


def _signed_in(d: Deps, page: Page, outcome_person: dict[str, object], amr: list[str]
               ) -> Response:
    from chalicelib.services import sso_sessions
    _, cookie = sso_sessions.start(d, outcome_person, amr)
    page.cookie(SESSION_COOKIE, cookie, max_age=sso_sessions.rules.SESSION_SECONDS)
    page.forget_cookie(STEP_COOKIE)
    return pages.redirect(page, f"{page.base}{_next(page)}")


def _refused(d: Deps, page: Page, template: str, reason: str, **context: object) -> Response:
    status = {"locked": 429, "invalid": 401, "invalid_otp": 401,
              "wrong_current_password": 401}.get(reason, 400)  # else: the form's problem
    message = page.t.get(reason) or reason
    return _form_page(d, page, template, status=status, error=message, **context)


@pages.page_route(sso_pages_api, "/sso/login", ["GET", "POST"],
                   summary="The login page: account and password")
def login(request: Request) -> Response:
    from chalicelib.services import login as flow
    d, page = _start(request)
    if request.method == "GET":
        return _form_page(d, page, "login.html", account="")
    account = page.field("account")
    if not pages.csrf_ok(d, page):
        return _form_page(d, page, "login.html", status=400, error=page.t["bad_form"],
                          account=account)
    try:
        outcome = flow.with_password(d, account, page.field("password"))
    except flow.LoginRefused as refused:
        return _refused(d, page, "login.html", refused.reason, account=account)
    if outcome.stage == flow.DONE:
        return _signed_in(d, page, outcome.person, ["pwd"])
    assert outcome.step is not None
    page.cookie(STEP_COOKIE, outcome.step, max_age=STEP_SECONDS, same_site="Strict")
    target = "/sso/login/otp" if outcome.stage == flow.OTP else "/sso/login/otp-setup"
    return pages.redirect(page, _with_next(target, page))


@pages.page_route(sso_pages_api, "/sso/login/otp", ["GET", "POST"],
                   summary="The second factor: a TOTP code")
def second_factor(request: Request) -> Response:
    from chalicelib.services import login as flow
    d, page = _start(request)
    step = page.cookies.get(STEP_COOKIE)
    try:
        flow.load_step(d, step, flow.OTP)
    except flow.LoginRefused:
        return pages.redirect(page, _with_next("/sso/login", page))
    if request.method == "GET":
        return _form_page(d, page, "otp.html")
    if not pages.csrf_ok(d, page):
        return _form_page(d, page, "otp.html", status=400, error=page.t["bad_form"])
    try:
        outcome = flow.with_otp(d, step, page.field("otp"))
    except flow.LoginRefused as refused:
        reason = "invalid_otp" if refused.reason == "invalid" else refused.reason
        return _refused(d, page, "otp.html", reason)
    return _signed_in(d, page, outcome.person, ["pwd", "otp", "mfa"])


@pages.page_route(sso_pages_api, "/sso/login/otp-setup", ["GET", "POST"],
                   summary="TOTP enrolment at an admin's first login")
def second_factor_setup(request: Request) -> Response:
    import segno

    from chalicelib.services import login as flow
    d, page = _start(request)
    step = page.cookies.get(STEP_COOKIE)
    try:
        secret, uri = flow.enrolment(d, step)
    except flow.LoginRefused:
        return pages.redirect(page, _with_next("/sso/login", page))
    qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#1d2733")
    shown: dict[str, Any] = {"secret": secret, "qr_svg": qr}
    if request.method == "GET":
        return _form_page(d, page, "otp_setup.html", **shown)
    if not pages.csrf_ok(d, page):
        return _form_page(d, page, "otp_setup.html", status=400, error=page.t["bad_form"],
                          **shown)
    try:
        outcome = flow.confirm_enrolment(d, step, page.field("otp"))
    except flow.LoginRefused as refused:
        reason = "invalid_otp" if refused.reason == "invalid" else refused.reason
        return _refused(d, page, "otp_setup.html", reason, **shown)
    return _signed_in(d, page, outcome.person, ["pwd", "otp", "mfa"])


@pages.page_route(sso_pages_api, "/sso/setup/{token}", ["GET", "POST"],
                   summary="A one-time link: set a password")
def set_password(request: Request, token: str) -> Response:
    from chalicelib.services import login as flow
    d, page = _start(request)
    link = flow.setup_link(d, token) if len(token) < 100 else None
    if link is None:
        return pages.render(page, "sso/message.html", status=404, static=_static(page),
                            heading=page.t["error_title"], text=page.t["link_expired"])
    action = f"{page.base}/sso/setup/{token}?lang={page.lang}"
    if request.method == "GET":
        return _form_page(d, page, "setup.html", account=link["account"], action=action)
    if not pages.csrf_ok(d, page):
        return _form_page(d, page, "setup.html", status=400, error=page.t["bad_form"],
                          account=link["account"], action=action)
    new = page.field("new_password")
    if new != page.field("new_password_again"):
        return _form_page(d, page, "setup.html", status=400, error=page.t["passwords_differ"],
                          account=link["account"], action=action)
    try:
        flow.set_password(d, token, new)
    except flow.LoginRefused as refused:
        return _refused(d, page, "setup.html", refused.reason, account=link["account"],
                        action=action)
    return pages.render(page, "sso/message.html", static=_static(page),
                        heading=page.t["setup_title"], text=page.t["setup_done"],
                        link=f"{page.base}/sso/login?lang={page.lang}",
                        link_text=page.t["go_login"])


@pages.page_route(sso_pages_api, "/sso", ["GET", "POST"],
                   summary="Who is signed in; POST signs out everywhere")
def account(request: Request) -> Response:
    """The signed-in page: who, which unit, and a sign-out that ends the SSO session
    everywhere (each app used is told by back-channel logout)."""
    from chalicelib.services import sso_sessions, units
    d, page = _start(request)
    session = sso_sessions.current(d, page.cookies.get(SESSION_COOKIE))
    if request.method == "POST" and pages.csrf_ok(d, page):
        if session is not None:
            sso_sessions.end(d, session.sid, page.issuer)
        page.forget_cookie(SESSION_COOKIE)
        return pages.render(page, "sso/message.html", static=_static(page),
                            heading=page.t["logout_button"], text=page.t["logged_out"],
                            link=f"{page.base}/sso/login?lang={page.lang}",
                            link_text=page.t["go_login"])
    if session is None:
        return pages.redirect(page, f"{page.base}/sso/login?lang={page.lang}")
    unit = units.get_unit(d, session.person["unit"])
    return _form_page(d, page, "account.html", person=session.person,
                      unit_name=unit["name"] if unit else "",
                      change_link=f"{page.base}/sso/password?lang={page.lang}",
                      action=f"{page.base}/sso?lang={page.lang}")


@pages.page_route(sso_pages_api, "/sso/password", ["GET", "POST"],
                  summary="A signed-in person changes their password")
def change_password(request: Request) -> Response:
    from chalicelib.services import login as flow, sso_sessions
    d, page = _start(request)
    session = sso_sessions.current(d, page.cookies.get(SESSION_COOKIE))
    if session is None:
        target = urllib.parse.urlencode({"next": "/sso/password", "lang": page.lang})
        return pages.redirect(page, f"{page.base}/sso/login?{target}")
    shown = {"account": session.person["account"],
             "action": f"{page.base}/sso/password?lang={page.lang}"}
    if request.method == "GET":
        return _form_page(d, page, "change_password.html", **shown)
    if not pages.csrf_ok(d, page):
        return _form_page(d, page, "change_password.html", status=400,
                          error=page.t["bad_form"], **shown)
    new = page.field("new_password")
    if new != page.field("new_password_again"):
        return _form_page(d, page, "change_password.html", status=400,
                          error=page.t["passwords_differ"], **shown)
    try:
        flow.change_password(d, session.person["account"], page.field("current_password"),
                             new)
    except flow.LoginRefused as refused:
        return _refused(d, page, "change_password.html", refused.reason, **shown)
    return pages.render(page, "sso/message.html", static=_static(page),
                        heading=page.t["change_title"], text=page.t["change_done"],
                        link=f"{page.base}/sso?lang={page.lang}", link_text=page.t["back"])


@pages.page_route(sso_pages_api, "/sso/static/sso.css", ["GET"],
                   summary="The pages' stylesheet", media_type="text/css")
def stylesheet(request: Request) -> Response:
    path = pages.TEMPLATES / "sso" / "sso.css"
    return Response(body=path.read_text(), status_code=200, headers={
        "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff"})
