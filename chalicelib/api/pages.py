"""HTML pages people use (the SSO's login pages): rendering, cookies, CSRF and headers.

Pages are server-rendered with Jinja2 (autoescaped) and work without JavaScript. Every
answer forbids framing (`X-Frame-Options: DENY`, `frame-ancestors 'none'`), runs no
script at all (`Content-Security-Policy: default-src 'none'`, styles from the hub
only), is never cached, and sends no referrer. Every form carries a CSRF token: the
HMAC, under a sealed key of the deployment, of a random value in an HttpOnly
SameSite=Strict cookie; a form whose token does not match is refused.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api.page_texts import TEXTS

log = logging.getLogger("lgsp.pages")
HTML = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
CSRF_COOKIE, LANG_COOKIE = "lgsp_csrf", "lgsp_lang"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from chalicelib.domain.times import province_clock
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(default=True), auto_reload=False)
    env.filters["local"] = province_clock  # an instant in the province's time
    env.filters["num"] = lambda n: f"{int(n):,}".replace(",", ".")  # 1.234.567 (vi)
    return env


def _parse_cookies(header: str | None) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


MAX_FIELDS = 50


@dataclass(frozen=True)
class Upload:
    """A file sent with a form (`multipart/form-data`)."""

    file_name: str
    data: bytes


def _form(request: Request) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    """A POST's fields (URL-encoded or multipart) and its files."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    if request.method != "POST":
        return {}, {}
    if content_type == "multipart/form-data":
        return _multipart(request.headers.get("content-type") or "", body)
    if content_type != "application/x-www-form-urlencoded":
        return {}, {}
    text = body.decode("utf-8", "replace")
    return urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS), {}


def _multipart(content_type: str, body: bytes
               ) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    """A `multipart/form-data` body read with the standard library's MIME parser (RFC
    7578); a malformed one reads as no fields (then the CSRF check refuses it)."""
    from email import policy
    from email.parser import BytesParser
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    except (ValueError, TypeError):
        return {}, {}
    if not message.is_multipart():
        return {}, {}
    fields: dict[str, list[str]] = {}
    files: dict[str, Upload] = {}
    for count, part in enumerate(message.iter_parts()):
        name = part.get_param("name", header="content-disposition")
        if count >= MAX_FIELDS or not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        file_name = part.get_filename()
        if file_name is not None:
            files[name] = Upload(file_name, data)
        else:
            fields.setdefault(name, []).append(data.decode("utf-8", "replace"))
    return fields, files


@dataclass
class Page:
    """One request to a page, and what its answer will set."""

    request: Request
    base: str  # the hub's public base URL
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    cookies: dict[str, str]
    lang: str
    set_cookies: list[str] = field(default_factory=list)
    files: dict[str, Upload] = field(default_factory=dict)
    cookie_path: str = "/sso"  # where this page's own cookies (CSRF) live

    @property
    def issuer(self) -> str:
        return f"{self.base}/sso"

    @property
    def secure(self) -> bool:
        return self.base.startswith("https://")

    def arg(self, name: str) -> str:
        values = self.query.get(name) or []
        return values[0] if values else ""

    def field(self, name: str) -> str:
        values = self.form.get(name) or []
        return values[0] if values else ""

    @property
    def t(self) -> dict[str, str]:
        return TEXTS[self.lang]

    def cookie(self, name: str, value: str, *, max_age: int, same_site: str = "Lax",
               path: str | None = None) -> None:
        parts = [f"{name}={value}", f"Path={path or self.cookie_path}", f"Max-Age={max_age}",
                 "HttpOnly",
                 f"SameSite={same_site}"]
        if self.secure:
            parts.append("Secure")
        self.set_cookies.append("; ".join(parts))

    def forget_cookie(self, name: str) -> None:
        self.cookie(name, "", max_age=0)

    def lang_link(self) -> str:
        """This page in the other language."""
        other = "en" if self.lang == "vi" else "vi"
        query = {k: v[0] for k, v in self.query.items() if k != "lang"} | {"lang": other}
        return "?" + urllib.parse.urlencode(query)


def page_of(request: Request, base: str, *, cookie_path: str = "/sso") -> Page:
    params = request.query_params
    query = {k: params.getlist(k) for k in params} if params else {}
    cookies = _parse_cookies(request.headers.get("cookie"))
    wanted = (query.get("lang") or [cookies.get(LANG_COOKIE, "vi")])[0]
    form, files = _form(request)
    page = Page(request=request, base=base, query=query, form=form, files=files,
                cookies=cookies, lang=wanted if wanted in TEXTS else "vi",
                cookie_path=cookie_path)
    if query.get("lang") and page.lang != cookies.get(LANG_COOKIE):
        page.cookie(LANG_COOKIE, page.lang, max_age=365 * 86400, path="/")
    return page


def _csrf_key(deps: Any) -> bytes:
    from chalicelib.services import sso_secret
    return sso_secret.csrf_key(deps)


def csrf_token(deps: Any, page: Page) -> str:
    """The token the page's forms carry (a fresh cookie value when it has none)."""
    from chalicelib.adapters import credentials
    value = page.cookies.get(CSRF_COOKIE)
    if not value or len(value) > 100:
        value = credentials.new_secret(24)
        page.cookies[CSRF_COOKIE] = value
        page.cookie(CSRF_COOKIE, value, max_age=8 * 3600, same_site="Strict")
    return hmac.new(_csrf_key(deps), value.encode(), hashlib.sha256).hexdigest()


def csrf_ok(deps: Any, page: Page) -> bool:
    value, sent = page.cookies.get(CSRF_COOKIE), page.field("csrf")
    if not value or not sent:
        return False
    expected = hmac.new(_csrf_key(deps), value.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sent)


def _headers(page: Page | None, content_type: str) -> dict[str, str | list[str]]:
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, **SECURITY_HEADERS}
    if page is not None and page.set_cookies:
        headers["Set-Cookie"] = list(page.set_cookies)
    return headers


def render(page: Page, template: str, *, status: int = 200,
           texts: dict[str, str] | None = None, **context: Any) -> Response:
    """`template` rendered in the page's language (`texts`: the words of the pages' area,
    by default the SSO's)."""
    body = _environment().get_template(template).render(
        t=page.t if texts is None else texts, lang=page.lang,
        other_lang_link=page.lang_link(), **context)
    return Response(body=body, status_code=status, headers=_headers(page, HTML))


def redirect(page: Page | None, location: str, *, status: int = 303) -> Response:
    headers = _headers(page, HTML)
    headers["Location"] = location
    return Response(body="", status_code=status, headers=headers)


def json_answer(body: Any, *, status: int = 200, headers: dict[str, str] | None = None
                ) -> Response:
    """A protocol answer (OAuth/OIDC JSON: its own error shape, RFC 6749 5.2)."""
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store",
                             "Pragma": "no-cache", **(headers or {})})


@dataclass(frozen=True)
class PageRoute:
    """A public route of the SSO (a page, or a protocol endpoint answering JSON), for
    the OpenAPI document."""

    path: str
    methods: tuple[str, ...]
    summary: str
    media_type: str
    tag: str = "sso"


PAGE_ROUTES: list[PageRoute] = []


def page_route(bp: Blueprint, path: str, methods: list[str], summary: str, *,
               media_type: str = HTML, tag: str = "sso"
               ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A public route answered with a page or a protocol answer; one log line each,
    and a page (never a stack trace) for a failure."""
    PAGE_ROUTES.append(PageRoute(path, tuple(methods), summary, media_type, tag))

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def handler(**params: str) -> Response:
            started, request = time.monotonic(), bp.current_request
            try:
                response = fn(request, **params)
            except Exception:
                log.exception("unhandled error on %s %s", request.method, path)
                response = Response(body="<!doctype html><title>500</title><p>Internal error",
                                    status_code=500, headers=_headers(None, HTML))
            log.info(json.dumps({"route": f"{request.method} {path}",
                                 "status": response.status_code,
                                 "ms": round((time.monotonic() - started) * 1000, 1),
                                 "request_id": request.context.get("requestId")}))
            return response

        bp.route(path, methods=methods, content_types=["*/*"])(handler)
        return handler

    return decorator


def public_base(request: Request, settings: Any) -> str:
    """The hub's public base URL: the setting, else the request's scheme and Host (in
    development; production sets `LGSP_PUBLIC_URL`, so a forged Host changes nothing)."""
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", settings.default_scheme)
    return f"{scheme}://{headers.get('host', 'localhost')}{settings.public_path_prefix}"


def safe_next(value: str, issuer_path: str = "/sso/") -> str | None:
    """A `next` target only within the hub's SSO pages, or the console's (`issuer_path`
    "/console"): no open redirect."""
    if not value.startswith(issuer_path) or value.startswith("//") or "\\" in value:
        return None
    if any(c in value for c in "\r\n"):
        return None
    return value
