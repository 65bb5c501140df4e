"""The OpenID Connect provider's endpoints (R-COMP-6, R-SSO-1; docs/sso.md).

The protocol endpoints answer in the protocol's own shapes (RFC 6749 5.2 errors, OIDC
discovery, JWKS); the authorization and logout endpoints answer a browser (redirects and
pages). Authlib does the protocol (`services/oidc_server.py`).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api import pages
from chalicelib.api.pages import JSON_TYPE as JSON
from chalicelib.api.sso_pages import SESSION_COOKIE

if TYPE_CHECKING:
    from chalicelib.services.deps import Deps

sso_api = Blueprint(__name__)


def _start(request: Request) -> tuple[Deps, pages.Page]:
    from chalicelib.bootstrap import deps
    d = deps()
    return d, pages.page_of(request, pages.public_base(request, d.settings))


def _incoming(page: pages.Page) -> Any:
    from chalicelib.services.oidc_server import Incoming
    request = page.request
    query = urllib.parse.urlencode([(k, v) for k, vs in page.query.items() for v in vs])
    url = f"{page.base}{request.path}" + (f"?{query}" if query else "")
    return Incoming(method=request.method, url=url, headers=request.headers,
                    query=page.query, form=page.form)


def _provider(d: Deps, page: pages.Page) -> Any:
    from chalicelib.services.oidc_server import Provider
    return Provider(d, page.issuer)


def _protocol(answer: tuple[int, Any, dict[str, str]]) -> Response:
    status, body, headers = answer
    if status in (301, 302, 303) and "Location" in headers:
        return Response(body="", status_code=302, headers={
            "Location": headers["Location"], "Cache-Control": "no-store"})
    return pages.json_answer(body, status=status, headers={
        k: v for k, v in headers.items() if k.lower() not in ("content-type",)})


def _error_page(page: pages.Page, error: Any, *, text: str = "app_request_refused",
                status: int = 400) -> Response:
    """What a person sees when an app's request is refused: why in their language, the
    protocol's words as the technical detail."""
    detail = f"{error.error}: {error.description or ''}".strip(": ")
    return pages.render(page, "sso/message.html", status=status,
                        static=f"{page.base}/sso/static", heading=page.t["error_title"],
                        text=page.t[text], detail=detail)


@pages.page_route(sso_api, "/sso/.well-known/openid-configuration", ["GET"],
                   summary="OpenID Connect discovery", media_type=JSON)
def discovery(request: Request) -> Response:
    from chalicelib.domain import oidc
    _, page = _start(request)
    return pages.json_answer(oidc.discovery(page.issuer), headers={
        "Cache-Control": "public, max-age=300"})


@pages.page_route(sso_api, "/sso/jwks", ["GET"],
                   summary="The keys that sign id_tokens, access and logout tokens",
                   media_type=JSON)
def jwks(request: Request) -> Response:
    from chalicelib.services import hub_signing
    d, _ = _start(request)
    return pages.json_answer({"keys": hub_signing.jwks(d)}, headers={
        "Cache-Control": "public, max-age=300"})


@pages.page_route(sso_api, "/sso/authorize", ["GET"],
                   summary="Authorization endpoint (code flow, PKCE S256 required)")
def authorize(request: Request) -> Response:
    """Code flow: a person signed in to the SSO gets a code at once (single sign-on);
    otherwise the login page, which comes back here when done."""
    from authlib.oauth2 import OAuth2Error

    from chalicelib.services import sso_sessions
    from chalicelib.services.oidc_grants import Subject
    d, page = _start(request)
    provider, incoming = _provider(d, page), _incoming(page)
    session = sso_sessions.current(d, page.cookies.get(SESSION_COOKIE))
    subject = Subject(session.person, session.sid, session.auth_time, session.amr) \
        if session else None
    prompt = page.arg("prompt").split()
    if "login" in prompt:
        subject = None
    try:
        grant = provider.get_consent_grant(request=incoming, end_user=subject)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _protocol(provider.handle_error_response(incoming, error))
        return _error_page(page, error)
    if subject is None:
        query = urllib.parse.urlencode([(k, v) for k, vs in page.query.items() for v in vs
                                        if not (k == "prompt" and v == "login")])
        target = urllib.parse.urlencode({"next": f"/sso/authorize?{query}",
                                         "lang": page.lang})
        return pages.redirect(page, f"{page.base}/sso/login?{target}", status=302)
    return _protocol(provider.create_authorization_response(
        request=incoming, grant_user=subject, grant=grant))


@pages.page_route(sso_api, "/sso/token", ["POST"],
                   summary="Token endpoint: code, refresh_token, device_code grants",
                   media_type=JSON)
def token(request: Request) -> Response:
    d, page = _start(request)
    return _protocol(_provider(d, page).create_token_response(_incoming(page)))


@pages.page_route(sso_api, "/sso/device", ["POST"],
                   summary="Device authorization (RFC 8628), for the lgsp CLI", media_type=JSON)
def device_authorization(request: Request) -> Response:
    d, page = _start(request)
    return _protocol(_provider(d, page).create_endpoint_response(
        "device_authorization", _incoming(page)))


@pages.page_route(sso_api, "/sso/revoke", ["POST"],
                   summary="Token revocation (RFC 7009)", media_type=JSON)
def revoke(request: Request) -> Response:
    d, page = _start(request)
    return _protocol(_provider(d, page).create_endpoint_response("revocation",
                                                                 _incoming(page)))


@pages.page_route(sso_api, "/sso/userinfo", ["GET", "POST"],
                   summary="UserInfo endpoint (Bearer access token)", media_type=JSON)
def userinfo(request: Request) -> Response:
    from chalicelib.domain.errors import AuthenticationError
    from chalicelib.services import bearer
    d, page = _start(request)
    try:
        grant = bearer.verify(d, request.headers.get("authorization"), issuer=page.issuer)
    except AuthenticationError as err:
        return pages.json_answer({"error": "invalid_token", "error_description": err.message},
                                 status=401, headers={
                                     "WWW-Authenticate": f'Bearer error="invalid_token", '
                                                         f'error_description="{err.message}"'})
    return pages.json_answer(bearer.userinfo(d, grant))


@pages.page_route(sso_api, "/sso/logout", ["GET", "POST"],
                   summary="RP-initiated logout; every app of the session is told by back-channel")
def end_session(request: Request) -> Response:
    """RP-initiated logout: the SSO session ends, every app it was used with is told
    (back-channel), then back to the app's registered post-logout URL, or a page."""
    from authlib.oauth2 import OAuth2Error

    from chalicelib.services import sso_sessions
    d, page = _start(request)
    provider, incoming = _provider(d, page), _incoming(page)
    session = sso_sessions.current(d, page.cookies.get(SESSION_COOKIE))
    provider.ending_sid = session.sid if session else None
    try:  # a forged or foreign id_token_hint: a page, no redirect, nobody signed out
        validated = provider.validate_endpoint_request("end_session", incoming)
    except OAuth2Error as error:
        return _error_page(page, error, text="logout_refused")
    answer = provider.create_endpoint_response("end_session", validated)
    page.forget_cookie(SESSION_COOKIE)
    if answer is not None and answer[0] == 302:
        return pages.redirect(page, dict(answer[2])["Location"], status=302)
    return pages.render(page, "sso/message.html", static=f"{page.base}/sso/static",
                        heading=page.t["logout_button"], text=page.t["logged_out"])


@pages.page_route(sso_api, "/sso/device/verify", ["GET", "POST"],
                   summary="A signed-in person confirms a device code")
def device_verify(request: Request) -> Response:
    """The person confirms (or denies) the CLI's device code, signed in to the SSO."""
    from chalicelib.services import oidc_device, sso_sessions
    d, page = _start(request)
    session = sso_sessions.current(d, page.cookies.get(SESSION_COOKIE))
    here = f"/sso/device/verify?{urllib.parse.urlencode({'user_code': page.arg('user_code')})}"
    if session is None:
        target = urllib.parse.urlencode({"next": here, "lang": page.lang})
        return pages.redirect(page, f"{page.base}/sso/login?{target}", status=302)
    context = {"static": f"{page.base}/sso/static", "account": session.person["account"],
               "csrf": pages.csrf_token(d, page), "action": f"{page.base}/sso/device/verify"
               f"?lang={page.lang}"}
    if request.method == "GET":
        return pages.render(page, "sso/device.html", user_code=page.arg("user_code"), **context)
    typed = page.field("user_code")
    if not pages.csrf_ok(d, page):
        return pages.render(page, "sso/device.html", status=400, user_code=typed,
                            error=page.t["bad_form"], **context)
    item = oidc_device.by_user_code(d, typed)
    approve = page.field("decision") == "approve"
    if item is None or not oidc_device.decide(d, item, account=session.person["account"],
                                               approve=approve):
        return pages.render(page, "sso/device.html", status=400, user_code=typed,
                            error=page.t["device_unknown"], **context)
    return pages.render(page, "sso/message.html", static=context["static"],
                        heading=page.t["device_title"],
                        text=page.t["device_done" if approve else "device_denied"])
