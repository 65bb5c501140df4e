"""The catalogue's proxy over REST (issue 16; docs/catalogue.md "Proxy mode"):
`/v1/catalogue/services/{unit}/{service_id}/call/...` with GET, POST, PUT, PATCH, DELETE.

Chalice routes only fixed segments: a greedy `{path+}` parameter is API Gateway's, but
chalice's router, its test client and the local host (which match a path segment by
segment) and the `_PARAMS` of its route entries (`{\\w+}`) know none. So the proxy
declares the paths of 0 to `MAX_DEPTH` segments after `/call` (`{p1}`...`{p8}`): the
same routes on AWS, on the local host and in `/openapi.json`.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.api.exports import BinaryBlueprint
from chalicelib.api.http import Call, Relayed, RouteSpec, api_route
from chalicelib.domain.proxy import MAX_DEPTH, METHODS

BINARY = "application/octet-stream"
proxy_api = BinaryBlueprint(__name__, BINARY)

CALL = "/v1/catalogue/services/{unit}/{service_id}/call"
RELAYED = "lgsp-relayed"
_RETRY = ("The hub may have forwarded the call: whether repeating it is safe is the "
          "service's to say (its OpenAPI in the catalogue).")


def _relay(call: Call, unit: str, service_id: str, segments: list[str]) -> Relayed:
    from chalicelib.services import proxy
    request = call.request
    raw = request.raw_body
    body = raw.encode() if isinstance(raw, str) else (raw or b"")
    params = request.query_params
    query = proxy.rules.forward_query({k: params.getlist(k) for k in params} if params
                                      else {})
    answer = proxy.call_service(call.deps, call.who, proxy.Call(
        unit, service_id, request.method, segments, query, dict(request.headers.items()),
        body))
    headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
    headers[RELAYED] = "true"  # the service's answer: a client tells it from a refusal
    return Relayed(answer.status, headers, _for_gateway(answer.body, headers))


def _for_gateway(body: bytes, headers: dict[str, str]) -> bytes | str:
    """Text as text; other bytes as `application/octet-stream`, the binary type API
    Gateway passes through (base64) without the API declaring every media type."""
    try:
        return body.decode()
    except UnicodeDecodeError:
        headers["content-type"] = BINARY
        return body


def _declare(method: str, depth: int) -> None:
    names = [f"p{n}" for n in range(1, depth + 1)]
    path = CALL + "".join(f"/{{{name}}}" for name in names)
    spec = RouteSpec(method, path, f"Call a listed service through the hub ({depth} path "
                     "segments): the caller app's grant, its rate and a 6 MiB bound apply",
                     None, media_type=BINARY, errors=(400, 401, 403, 404, 413, 429, 502, 504),
                     before_retry=_RETRY)

    def handler(call: Call, unit: str, service_id: str, **segments: str) -> Relayed:
        return _relay(call, unit, service_id, [segments[name] for name in names])

    handler.__name__ = f"proxy_{method.lower()}_{depth}"
    api_route(proxy_api, spec)(handler)


def declare_routes(declare: Callable[[str, int], None] = _declare) -> None:
    for depth in range(MAX_DEPTH + 1):
        for method in METHODS:
            declare(method, depth)


declare_routes()
