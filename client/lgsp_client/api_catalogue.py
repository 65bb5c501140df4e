"""The service-catalogue calls of `LgspClient` (R-COMP-3, R-JOIN-3, the hub's
docs/catalogue.md):

    client.publish_service({"id": "land-records", "name": "Tra cứu thửa đất", ...})
    client.search_services("thua dat")["items"]          # anyone: listed services
    client.catalogue_entry("000.00.02.H99", "land-records")
    client.service_openapi("000.00.02.H99", "land-records")["document"]
    client.request_access("000.00.02.H99/land-records", "app-1", purpose="...")
    client.decide_access(request_id, "grant")           # the owner unit or an operator
    client.set_access_rate(request_id, 120)             # calls a minute through the proxy
    client.catalogue_grants("consumer")["items"]        # or "provider"
    client.decide_service("000.00.02.H99", "land-records", "approve")   # operators
    client.call_service("000.00.02.H99/land-records", "GET", "/parcels/12").body  # proxy

Changes are never retried (a retry after a lost answer answers 409: read the object).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import requests

JSON = dict[str, Any]


RELAYED = "LGSP-Relayed"  # on a service's answer the hub's proxy relays (not the hub's)


class _Calls(Protocol):
    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             query: Iterable[tuple[str, str]] = (), headers: Mapping[str, str] | None = None,
             signed: bool = True, retry: bool = True) -> Any: ...

    def url(self, path: str, query: Iterable[tuple[str, str]] = ()) -> str: ...

    def _exchange(self, method: str, url: str, body: bytes | None,
                  headers: Mapping[str, str], *, signed: bool, retry: bool
                  ) -> requests.Response: ...


@dataclass(frozen=True)
class ServiceAnswer:
    """A catalogue service's answer, relayed by the hub as the service gave it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _entry(unit: str, service_id: str) -> str:
    return (f"/v1/catalogue/services/{urllib.parse.quote(unit, safe='')}/"
            f"{urllib.parse.quote(service_id, safe='')}")


def _request(request_id: str) -> str:
    return f"/v1/catalogue/requests/{urllib.parse.quote(request_id, safe='')}"


def _call_path(service: str, path: str) -> str:
    """`/v1/catalogue/services/<unit>/<id>/call` + the path's segments, each encoded."""
    unit, _, service_id = service.partition("/")
    segments = [urllib.parse.quote(p, safe="") for p in path.strip("/").split("/") if p]
    return "/".join([_entry(unit, service_id) + "/call", *segments])


def paging(cursor: str | None, limit: int | None) -> list[tuple[str, str]]:
    """The query of one page: `cursor` (the previous page's `next_cursor`), `limit`."""
    return [*((("cursor", cursor),) if cursor else ()),
            *((("limit", str(limit)),) if limit is not None else ())]


class CatalogueCalls:
    """Mixed into `LgspClient`."""

    def publish_service(self: _Calls, publication: Mapping[str, Any]) -> JSON:
        """Publish a service of your unit (`pending` until an operator approves)."""
        return dict(self.call("POST", "/v1/catalogue/services", body=dict(publication),
                              retry=False))

    def search_services(self: _Calls, query: str | None = None, *, state: str | None = None,
                        cursor: str | None = None, limit: int | None = None) -> JSON:
        """`{query, items, next_cursor}`: listed services (and your unit's own) matching
        every word of `query`, diacritics and case ignored; `state` narrows to one."""
        params = [*((("q", query),) if query else ()),
                  *((("state", state),) if state else ()), *paging(cursor, limit)]
        return dict(self.call("GET", "/v1/catalogue/services", query=params))

    def catalogue_entry(self: _Calls, unit: str, service_id: str) -> JSON:
        return dict(self.call("GET", _entry(unit, service_id)))

    def service_openapi(self: _Calls, unit: str, service_id: str) -> JSON:
        """`{ref, url, document}`: the uploaded OpenAPI document and/or its URL."""
        return dict(self.call("GET", _entry(unit, service_id) + "/openapi"))

    def decide_service(self: _Calls, unit: str, service_id: str, action: str, *,
                       reason: str | None = None) -> JSON:
        """`approve`, `refuse` (with `reason`): operators; `withdraw`: the owner."""
        body = {"reason": reason} if action == "refuse" else None
        return dict(self.call("POST", f"{_entry(unit, service_id)}/{action}", body=body,
                              retry=False))

    def request_access(self: _Calls, service: str, app: str, *, purpose: str,
                       scopes: Sequence[str] | None = None) -> JSON:
        """Ask access to a listed service (`<unit>/<id>`) for one of your unit's apps."""
        body: JSON = {"service": service, "app": app, "purpose": purpose}
        if scopes:
            body["scopes"] = list(scopes)
        return dict(self.call("POST", "/v1/catalogue/requests", body=body, retry=False))

    def access_request(self: _Calls, request_id: str) -> JSON:
        return dict(self.call("GET", _request(request_id)))

    def decide_access(self: _Calls, request_id: str, action: str, *,
                      reason: str | None = None, rate_per_minute: int | None = None) -> JSON:
        """`grant` (with the grant's own `rate_per_minute` through the proxy, if given),
        `refuse` (with `reason`) or `revoke`: the owner unit or an operator."""
        body: JSON | None = {"reason": reason} if action == "refuse" else None
        if action == "grant" and rate_per_minute is not None:
            body = {"rate_per_minute": rate_per_minute}
        return dict(self.call("POST", f"{_request(request_id)}/{action}", body=body,
                              retry=False))

    def set_access_rate(self: _Calls, request_id: str, rate_per_minute: int | None) -> JSON:
        """The owner unit or an operator: a granted request's calls a minute through the
        proxy (None: the hub's default). Setting a value is safe to repeat."""
        return dict(self.call("PATCH", _request(request_id),
                              body={"rate_per_minute": rate_per_minute}))

    def catalogue_grants(self: _Calls, role: str, *, cursor: str | None = None,
                         limit: int | None = None) -> JSON:
        """`{role, items, next_cursor}`: requests and grants of your unit as `provider`
        (on its services) or `consumer` (its own requests), newest first."""
        return dict(self.call("GET", "/v1/catalogue/grants",
                              query=[("role", role), *paging(cursor, limit)]))

    def call_service(self: _Calls, service: str, method: str, path: str = "/", *,
                     body: bytes | None = None, headers: Mapping[str, str] | None = None,
                     query: Iterable[tuple[str, str]] = ()) -> ServiceAnswer:
        """Call a listed service (`<unit>/<id>`) through the hub's proxy with your app's
        grant: the service's answer, whatever its status. The hub's own refusal raises
        `LgspApiError` (`no_grant`, `rate_limited` with `details["retry_after"]`,
        `service_*`). Never retried: the hub may have forwarded the call."""
        response = self._exchange(method.upper(), self.url(_call_path(service, path), query),
                                  body, dict(headers or {}), signed=True, retry=False)
        return ServiceAnswer(response.status_code, dict(response.headers), response.content)
