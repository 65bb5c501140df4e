"""The console's frame: who may open a page, its CSRF check, its layout and its words.

Every console page is declared with `console_route`: without a console session the
browser goes to the SSO's login and comes back; a person who is neither an operator nor
a unit admin gets a refusal page; every POST carries the page's CSRF token; a domain
error is shown as a page with its code, never a stack trace. Pages are server-rendered
(Jinja2, autoescaped) and run no script: the CSP is the SSO pages' `default-src 'none'`.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api import pages
from chalicelib.api.console.texts import TEXTS
from chalicelib.domain import people as people_rules
from chalicelib.domain.errors import LgspError

if TYPE_CHECKING:
    from chalicelib.domain.signatures import Caller
    from chalicelib.services.console_sessions import ConsoleSession
    from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.console")
console_api = Blueprint(__name__)
ROOT = "/console"
SESSION_COOKIE, LOGIN_COOKIE = "lgsp_console", "lgsp_console_login"
ANYONE, OPERATOR, UNIT_ADMIN = "anyone", "operator", "unit_admin"


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a key of the texts
    operator: bool | None  # True: operators only; False: unit admins only; None: both


NAV: list[NavItem] = [NavItem("/console", "nav_dashboard", None)]
# The menu's order (a page not listed comes last, in the order it was declared).
MENU = ("/console", "/console/requests", "/console/units", "/console/apps", "/console/people",
        "/console/reports", "/console/reports/history", "/console/reports/connections",
        "/console/trace", "/console/presence", "/console/errors", "/console/notices",
        "/console/audit")


def nav_item(path: str, label: str, operator: bool | None) -> None:
    """Put a page in the menu (in the order the page modules are imported)."""
    NAV.append(NavItem(path, label, operator))


def start(request: Request) -> tuple[Deps, pages.Page]:
    from chalicelib.bootstrap import deps
    d = deps()
    return d, pages.page_of(request, pages.public_base(request, d.settings), cookie_path=ROOT)


@dataclass
class View:
    """One request to a console page, by a signed-in person."""

    deps: Deps
    page: pages.Page
    session: ConsoleSession
    operator: bool

    @property
    def caller(self) -> Caller:
        return self.session.caller

    @property
    def person(self) -> dict[str, Any]:
        return self.session.person

    @property
    def unit(self) -> str:
        return str(self.person["unit"])

    @property
    def unit_admin(self) -> bool:
        return people_rules.UNIT_ADMIN in self.person["roles"]

    @property
    def t(self) -> dict[str, str]:
        return TEXTS[self.page.lang]

    def arg(self, name: str) -> str:
        return self.page.arg(name)

    def field(self, name: str) -> str:
        return self.page.field(name)

    def fields(self, name: str) -> list[str]:
        return list(self.page.form.get(name) or [])

    def url(self, path: str, **query: str) -> str:
        clean = {k: v for k, v in query.items() if v}
        return f"{self.page.base}{path}" + (f"?{urllib.parse.urlencode(clean)}" if clean else "")

    @property
    def nav(self) -> list[NavItem]:
        shown = [n for n in NAV if n.operator is None or n.operator == self.operator]
        return sorted(shown, key=lambda n: MENU.index(n.path) if n.path in MENU else len(MENU))

    @property
    def current_nav(self) -> str:
        """The menu item of this page: the longest menu path the page's path is under."""
        path = self.page.request.path
        under = [n.path for n in self.nav if path == n.path or path.startswith(n.path + "/")]
        return max(under, key=len, default="")

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        return pages.render(
            self.page, f"console/{template}", status=status, texts=self.t,
            static=f"{self.page.base}{ROOT}/static", base=self.page.base, me=self.person,
            operator=self.operator, csrf=pages.csrf_token(self.deps, self.page),
            nav=self.nav, menu_here=self.current_nav, banner=_banner(self.deps, self.t), **context)

    def attachment(self, body: bytes, file_name: str, media_type: str) -> Response:
        """A file to save (an export, a letter), with the pages' security headers (no
        caching, no framing)."""
        headers: dict[str, str | list[str]] = {
            **pages.SECURITY_HEADERS, "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{file_name}"'}
        if self.page.set_cookies:
            headers["Set-Cookie"] = list(self.page.set_cookies)
        return Response(body=body, status_code=200, headers=headers)

    def redirect(self, path: str, **query: str) -> Response:
        return pages.redirect(self.page, self.url(path, **query))

    def refusal(self, status: int, text: str, *, code: str | None = None) -> Response:
        return self.render("message.html", status=status, heading=self.t["refused_title"],
                           text=text, code=code)


def _banner(deps: Deps, t: dict[str, str]) -> list[dict[str, Any]]:
    """The maintenance notices every page shows (R-OPS-4): active, or starting within a
    week (one bounded query, `services/notices.current`)."""
    from chalicelib.domain.times import province_clock
    from chalicelib.services import notices
    return [{"severity": n.severity, "title": n.title, "state": n.state,
             "window": f"{province_clock(n.starts_at)} – {province_clock(n.ends_at)}",
             "services": ", ".join(t[f"service_{s}"] for s in n.services)}
            for n in notices.current(deps).items]


def _login_redirect(page: pages.Page) -> Response:
    request = page.request
    query = urllib.parse.urlencode([(k, v) for k, vs in page.query.items() for v in vs])
    here = ROOT + request.path.removeprefix(ROOT) + (f"?{query}" if query else "")
    if request.method != "GET":
        here = ROOT
    target = urllib.parse.urlencode({"next": here, "lang": page.lang})
    return pages.redirect(page, f"{page.base}{ROOT}/login?{target}")


def may_enter(person: dict[str, Any], operator: bool) -> bool:
    """The console is for operators, unit admins and SSO admins (members use apps)."""
    return operator or bool({people_rules.UNIT_ADMIN, people_rules.SSO_ADMIN}
                            & set(person["roles"]))


def _answer(view: View, fn: Callable[..., Response], who: str, params: dict[str, str]
            ) -> tuple[Response, str | None]:
    """The page, or the refusal (with its code) of a person, page or form not allowed."""
    if not may_enter(view.person, view.operator):
        return view.refusal(403, view.t["refused_role"], code="forbidden"), "forbidden"
    if (who == OPERATOR and not view.operator) or (
            who == UNIT_ADMIN and not (view.operator or view.unit_admin)):
        return view.refusal(403, view.t["refused_page"], code="forbidden"), "forbidden"
    if view.page.request.method == "POST" and not pages.csrf_ok(view.deps, view.page):
        return view.refusal(403, view.t["refused_csrf"], code="csrf_failed"), "csrf_failed"
    try:
        return fn(view, **params), None
    except LgspError as err:
        return view.refusal(err.status, err.message, code=err.code), err.code


def _audit(view: View, path: str, params: dict[str, str], status: int,
           code: str | None) -> None:
    """Every change made in the console, done or refused, in the audit log with the
    person (docs/audit.md); like the API's, a lost line never changes the answer."""
    from chalicelib.domain import identifiers
    from chalicelib.domain.errors import InvalidRequestError
    from chalicelib.domain.logs import outcome_of
    from chalicelib.services import audit_log
    unit: str | None = params.get("code") or view.field("unit") or None
    try:
        if unit is not None:
            identifiers.parse(unit)
    except InvalidRequestError:
        unit = None
    try:
        audit_log.record(view.deps, view.caller, f"POST {path}", unit=unit, target=params,
                         outcome=outcome_of(status), status=status, code=code,
                         request_id=view.page.request.context.get("requestId"))
    except Exception:
        log.exception("could not record POST %s (status %s) in the audit log", path, status)


def console_route(path: str, methods: list[str], summary: str, *, who: str = ANYONE,
                  media_type: str = pages.HTML
                  ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A console page (or a file, `media_type`): signed in (else to the login), allowed
    (`who`), CSRF-checked on POST; a domain error becomes a page with its code and
    status."""

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @pages.page_route(console_api, path, methods, summary, tag="console",
                          media_type=media_type)
        def handler(request: Request, **params: str) -> Response:
            from chalicelib.services import console_sessions, roles
            d, page = start(request)
            session = console_sessions.current(d, page.cookies.get(SESSION_COOKIE))
            if session is None:
                return _login_redirect(page)
            view = View(d, page, session, roles.is_operator(d, session.caller))
            response, code = _answer(view, fn, who, params)
            if request.method == "POST":
                _audit(view, path, params, response.status_code, code)
            return response

        return handler

    return decorator
