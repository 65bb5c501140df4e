"""Signing in to the console through the hub's own single sign-on, and out of both."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from chalice import Response
from chalice.app import Request

from chalicelib.api import pages
from chalicelib.api.console.base import (
    LOGIN_COOKIE,
    ROOT,
    SESSION_COOKIE,
    View,
    console_api,
    console_route,
    start,
)
from chalicelib.api.console.texts import TEXTS
from chalicelib.domain import oidc as rules

STATIC = pages.TEMPLATES / "console"


def _public(page: pages.Page, heading: str, text: str, *, status: int = 200) -> Response:
    return pages.render(page, "console/public.html", status=status, texts=TEXTS[page.lang],
                        static=f"{page.base}{ROOT}/static", base=page.base, heading=heading,
                        text=text)


@pages.page_route(console_api, "/console/login", ["GET"],
                  summary="Sign in to the console (through the hub's SSO)", tag="console")
def login(request: Request) -> Response:
    from chalicelib.services import console_sessions
    d, page = start(request)
    wanted = pages.safe_next(page.arg("next"), ROOT) or ROOT
    pending = console_sessions.begin(d, wanted)
    page.cookie(LOGIN_COOKIE, pending.state, max_age=console_sessions.LOGIN_SECONDS)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": rules.CONSOLE_CLIENT,
        "redirect_uri": rules.console_callback(page.issuer), "scope": console_sessions.SCOPE,
        "state": pending.state, "nonce": pending.nonce, "code_challenge_method": "S256",
        "code_challenge": console_sessions.challenge(pending.verifier), "ui_locales": page.lang})
    return pages.redirect(page, f"{page.issuer}/authorize?{query}", status=302)


@pages.page_route(console_api, "/console/callback", ["GET"],
                  summary="Where the SSO sends a person back to the console", tag="console")
def callback(request: Request) -> Response:
    from chalicelib.adapters import credentials
    from chalicelib.services import console_sessions
    d, page = start(request)
    state, cookie = page.arg("state"), page.cookies.get(LOGIN_COOKIE, "")
    page.forget_cookie(LOGIN_COOKIE)
    pending = None
    if state and cookie and credentials.same(state, cookie):
        pending = console_sessions.finish_login(d, state)
    claims = console_sessions.redeem(d, page.issuer, page.arg("code"), pending) \
        if pending and page.arg("code") else None
    if pending is None or claims is None:
        t = TEXTS[page.lang]
        return _public(page, t["login_failed_title"], t["login_failed"], status=400)
    secret = console_sessions.start(d, claims)
    page.cookie(SESSION_COOKIE, secret, max_age=rules.SESSION_SECONDS)
    return pages.redirect(page, f"{page.base}{pending['next']}")


@console_route("/console/logout", ["POST"], summary="Sign out of the console and the SSO")
def logout(view: View) -> Response:
    from chalicelib.services import console_sessions
    page = view.page
    console_sessions.end(view.deps, page.cookies.get(SESSION_COOKIE), page.issuer)
    page.forget_cookie(SESSION_COOKIE)
    return pages.redirect(page, f"{page.base}{ROOT}/signed-out")


@pages.page_route(console_api, "/console/signed-out", ["GET"],
                  summary="The page after signing out", tag="console")
def signed_out(request: Request) -> Response:
    _, page = start(request)
    t = TEXTS[page.lang]
    return _public(page, t["signed_out_title"], t["signed_out"])


@pages.page_route(console_api, "/console/static/{name}", ["GET"],
                  summary="The console's style sheet", media_type="text/css", tag="console")
def static(request: Request, name: str) -> Response:
    path = STATIC / name
    if name != Path(name).name or not name.endswith(".css") or not path.is_file():
        return Response(body="", status_code=404, headers={"Content-Type": "text/plain"})
    return Response(body=path.read_text(), status_code=200, headers={
        "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff"})
