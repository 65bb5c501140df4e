"""One way to declare an API route: authenticate, parse, call, render, and describe it.

Every route goes through `api_route`, so every route is signed (unless declared public),
every body is validated strictly by its pydantic model (unknown fields refused, no type
coercion), every domain error becomes `{"error": {"code", "message"}}` with its status,
every request leaves one JSON log line, and every route lands in `/openapi.json` from the
same declaration. `answer_undeclared_methods` gives the methods a path does not declare
the same shape (405 `method_not_allowed`).
"""

from __future__ import annotations

import functools
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from chalice import Blueprint, Chalice, Response
from chalice.app import Request

from chalicelib.api.route_spec import (
    JSON,
    METHODS,
    PAGING,
    PEOPLE_PATHS,
    ROUTES,
    QueryParam,
    RouteSpec,
    WireModels,
)
from chalicelib.domain.errors import BusyError, ContentionError, InvalidRequestError, LgspError

__all__ = ["JSON", "METHODS", "PAGING", "PEOPLE_PATHS", "ROUTES", "QueryParam",  # routes'
           "RouteSpec", "WireModels", "Call", "Download", "Relayed", "api_route",
           "page_limit"]  # declarations

if TYPE_CHECKING:  # imported by the first call, not by a cold start (docs/performance.md)
    from pydantic import BaseModel

    from chalicelib.domain.signatures import Caller, SignedRequest
    from chalicelib.services.deps import Deps
    from chalicelib.services.peer_auth import PeerCaller

log = logging.getLogger("lgsp.api")


class InternalError(LgspError):
    status = 500
    code = "internal_error"


class UnsupportedMediaError(LgspError):
    status = 415
    code = "unsupported_media_type"


class MethodNotAllowedError(LgspError):
    status = 405
    code = "method_not_allowed"


@dataclass
class Call:
    """What a handler receives: the dependencies, the caller, the parsed body."""

    deps: Deps
    request: Request
    caller: Caller | None
    body: Any = None
    peer: PeerCaller | None = None  # the peer hub of a route declared `peer`
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def who(self) -> Caller:
        assert self.caller is not None, "route declared public"
        return self.caller

    @property
    def hub(self) -> PeerCaller:
        """The calling peer hub, on a route declared `peer`."""
        assert self.peer is not None, "route not declared peer"
        return self.peer

    def query(self, name: str) -> str | None:
        params = self.request.query_params
        return params.get(name) if params else None


@dataclass(frozen=True)
class Relayed:
    """Another server's answer relayed as it came (the catalogue's proxy): its status,
    its headers (already filtered) and its body (text, or bytes of a binary media type)."""

    status: int
    headers: Mapping[str, str]
    body: bytes | str


@dataclass(frozen=True)
class Download:
    """A file answer, for a route whose `media_type` is not JSON."""

    body: bytes
    file_name: str


def page_limit(call: Call, *, default: int = 50, maximum: int = 200) -> int:
    raw = call.query("limit")
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise InvalidRequestError(f"limit must be an integer from 1 to {maximum}.",
                                  code="invalid_limit")
    return int(raw)


def error_response(err: LgspError, headers: Mapping[str, str] | None = None) -> Response:
    # Details name what was wrong (a unit, a part of a code, candidates), never a secret.
    extra = {k: v for k, v in err.details.items() if k != "server_time"}
    body = {"error": {"code": err.code, "message": err.message, **extra}}
    all_headers: dict[str, str | list[str]] = {"Content-Type": JSON, **(headers or {})}
    if "server_time" in err.details:
        all_headers["LGSP-Server-Time"] = str(err.details["server_time"])
    if "retry_after" in err.details:
        all_headers["Retry-After"] = str(err.details["retry_after"])
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=err.status,
                    headers=all_headers)


def internal_error(spec: RouteSpec, request: Request) -> InternalError:
    """The 500 of an unexpected failure: says whether repeating the call is safe."""
    if spec.safe_to_retry(request.headers):
        return InternalError("The hub could not complete the request; it is safe to retry.",
                             safe_to_retry=True)
    return InternalError("The hub could not complete the request and may have carried it "
                         f"out: check before retrying. {spec.before_retry}",
                         safe_to_retry=False)


def _canonical_query(request: Request) -> str:
    params = request.query_params
    if not params:
        return ""
    items = sorted((k, v) for k in params for v in params.getlist(k))
    return "?" + urllib.parse.urlencode(items, quote_via=urllib.parse.quote)


def signed_request(request: Request, cfg_deps: Deps) -> SignedRequest:
    """The request as the client signed it: scheme and host as it reached us, the public
    path prefix, the path, and the query in canonical (sorted) order."""
    from chalicelib.domain.signatures import SignedRequest
    event = request.to_original_event()
    headers = dict(request.headers.items())
    scheme = headers.get("x-forwarded-proto", cfg_deps.settings.default_scheme)
    host = headers.get("host", "")
    path = cfg_deps.settings.public_path_prefix + (
        event.get("path") or event["requestContext"].get("path") or request.path)
    raw = request.raw_body
    body = raw.encode() if isinstance(raw, str) else (raw or b"")
    return SignedRequest(method=request.method, url=f"{scheme}://{host}{path}"
                         f"{_canonical_query(request)}", headers=headers, body=body)


def _parse(request: Request, model: type[BaseModel]) -> BaseModel:
    """The body as `model`, strictly: JSON types as declared, never coerced (`true` is
    not 1, `"3600"` is not 3600), and texts within their maximum length as sent."""
    from pydantic import ValidationError

    from chalicelib.api.wire_lengths import text_over_max_length
    raw = request.raw_body or b"{}"
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    if request.raw_body and content_type != JSON:
        raise UnsupportedMediaError(f"Send the body as {JSON}.")
    try:
        parsed = model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise InvalidRequestError("The body is not valid JSON.", code="invalid_json") from exc
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidRequestError(f"{where}: {first['msg']}", code="validation_failed") from exc
    over = text_over_max_length(model, json.loads(raw))
    if over is not None:
        raise InvalidRequestError(f"{over[0]}: String should have at most {over[1]} "
                                  "characters", code="validation_failed")
    return parsed


def _check_media_type(request: Request, spec: RouteSpec) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if spec.body_media_types and request.raw_body and content_type not in spec.body_media_types:
        raise UnsupportedMediaError(f"Send the body as {' or '.join(spec.body_media_types)}.")


def _render(result: BaseModel | Download | Relayed, call: Call, spec: RouteSpec
            ) -> Response:
    from pydantic import BaseModel  # loaded already: the handler built its answer with it
    headers: dict[str, str | list[str]]
    if isinstance(result, Relayed):
        headers = {**result.headers, **call.headers}
        return Response(body=result.body, status_code=result.status, headers=headers)
    if spec.media_type == JSON and isinstance(result, BaseModel):
        headers = {"Content-Type": JSON, **call.headers}
        return Response(body=result.model_dump_json(), status_code=call.status,
                        headers=headers)
    if spec.media_type != JSON and isinstance(result, Download):
        headers = {"Content-Type": spec.media_type, **call.headers,
                   "Content-Disposition": f'attachment; filename="{result.file_name}"'}
        return Response(body=result.body, status_code=call.status, headers=headers)
    raise TypeError(f"{spec.method} {spec.path} declares {spec.media_type} but answered "
                    f"{type(result).__name__}")


def _log(request: Request, started: float, *, route: str, status: int, code: str | None,
         unit: str | None, params: Mapping[str, str]) -> None:
    """One JSON line per request; path parameters under `params`, so a parameter named
    like a field of the line (`code`, `status`) never overwrites it."""
    log.info(json.dumps({
        "route": route, "status": status, "code": code, "unit": unit,
        "ms": round((time.monotonic() - started) * 1000, 1),
        "request_id": request.context.get("requestId"), "params": dict(params),
    }, ensure_ascii=False))


def _authenticate(d: Deps, spec: RouteSpec, request: Request) -> Caller:
    """An app's RFC 9421 signature, or, where the route takes people, a person's
    `Authorization: Bearer` token of the hub's SSO."""
    from chalicelib.services.auth import authenticate
    authorization = request.headers.get("authorization") or ""
    if spec.accepts_people and authorization[:7].lower() == "bearer ":
        from chalicelib.api.pages import public_base
        from chalicelib.services import bearer
        return bearer.caller(d, authorization,
                             issuer=public_base(request, d.settings) + "/sso")
    return authenticate(d, signed_request(request, d))


def _record(d: Deps, spec: RouteSpec, request: Request, caller: Caller | None, *,
            params: Mapping[str, str], status: int, code: str | None,
            refused: LgspError | None) -> None:
    """The audit log of admin actions and the error log of refused calls (docs/audit.md):
    nothing is read or written for a call that is neither."""
    from chalicelib.services import call_records
    call_records.after_call(d, spec.method, spec.path, caller=caller, params=params,
                            status=status, code=code, refused=refused,
                            headers=request.headers,
                            request_id=request.context.get("requestId"))


Result: TypeAlias = "BaseModel | Download | Relayed"  # pydantic named, not imported


def api_route(bp: Blueprint, spec: RouteSpec) -> Callable[[Callable[..., Result]],
                                                           Callable[..., Response]]:
    """Register `spec` on `bp` with the shared authentication/validation/error handling."""
    ROUTES.append(spec)

    def decorator(fn: Callable[..., Result]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def handler(**params: str) -> Response:
            from chalicelib.bootstrap import deps
            from chalicelib.services import auth  # noqa: F401 (the first call's import)
            started, request = time.monotonic(), bp.current_request
            call: Call | None = None
            code: str | None = None
            d: Deps | None = None
            refused: LgspError | None = None
            try:
                d = deps()
                caller = _authenticate(d, spec, request) if spec.signed and \
                    not spec.peer else None
                call = Call(deps=d, request=request, caller=caller, status=spec.status)
                if spec.peer:
                    from chalicelib.api.peer_http import peer_caller
                    call.peer = peer_caller(request)
                body_model = spec.request_model
                if body_model is not None:
                    call.body = _parse(request, body_model)
                _check_media_type(request, spec)
                response = _render(fn(call, **params), call, spec)
            except LgspError as err:
                code, response, refused = err.code, error_response(err), err
            except ContentionError:  # retries exhausted; nothing was written
                log.warning("contention on %s %s", spec.method, spec.path)
                busy = BusyError("The hub is busy with concurrent changes of the same data; "
                                 "nothing was written. Send the same request again.",
                                 safe_to_retry=True)
                code, response = busy.code, error_response(busy, {"Retry-After": "1"})
            except Exception:  # the API edge: one shape for every answer, details only in logs
                log.exception("unhandled error on %s %s", spec.method, spec.path)
                failure = internal_error(spec, request)
                code, response = failure.code, error_response(failure)
            who = call.caller if call else None
            if d is not None and (refused is not None or spec.method != "GET"):
                _record(d, spec, request, who, params=params, status=response.status_code,
                        code=code, refused=refused)
            _log(request, started, route=f"{spec.method} {spec.path}",
                 status=response.status_code, code=code,
                 unit=who.unit if who else None, params=params)
            return response

        bp.route(spec.path, methods=[spec.method], content_types=["*/*"])(handler)
        return handler

    return decorator


def answer_undeclared_methods(app: Chalice) -> None:
    """Give every method a path does not declare a 405 `method_not_allowed` in the
    project's shape, with `Allow`, instead of chalice's own 405 (locally) or API Gateway's
    403 "Missing Authentication Token" (on AWS, which routes only declared methods to the
    function: so these are declared routes). Call once, after every blueprint is
    registered. HEAD and OPTIONS included: the API declares neither (no CORS: browsers
    talk to the object store, not to the signed API), and an answer with `Allow` says what
    the path takes."""
    for path, entries in list(app.routes.items()):
        missing = [m for m in METHODS if m not in entries]
        if missing:
            allowed = [m for m in METHODS if m in entries]
            app.route(path, methods=missing, content_types=["*/*"])(
                _method_not_allowed(app, path, allowed))


def method_not_allowed_response(method: str, path: str, allowed: list[str]) -> Response:
    """The 405 of `method` on `path`, which takes `allowed`."""
    err = MethodNotAllowedError(f"{method} is not allowed on {path}; use "
                                f"{', '.join(allowed)}.", allowed=allowed)
    return error_response(err, {"Allow": ", ".join(allowed)})


# What an unknown path is told, by API Gateway on AWS (infra/aws/resources.yaml) and by
# the local host alike.
ROUTE_NOT_FOUND = "No such route: the routes of the API are in its openapi.json."


def declared_methods(app: Chalice, path: str) -> list[str]:
    """The methods the route `path` takes, without the 405s of `answer_undeclared_methods`."""
    entries = app.routes.get(path, {})
    return [m for m in METHODS
            if m in entries and entries[m].view_name != "method_not_allowed"]


def _method_not_allowed(app: Chalice, path: str, allowed: list[str]
                        ) -> Callable[..., Response]:
    def method_not_allowed(**params: str) -> Response:  # its name marks the route a 405
        started, request = time.monotonic(), app.current_request
        assert request is not None
        response = method_not_allowed_response(request.method, path, allowed)
        _log(request, started, route=f"{request.method} {path}", status=response.status_code,
             code=MethodNotAllowedError.code, unit=None, params=params)
        return response

    return method_not_allowed
