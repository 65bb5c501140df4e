"""The catalogue's proxy (issue 16, R-COMP-3, R-JOIN-3; docs/catalogue.md "Proxy mode"):
an app calls a listed service through the hub, which checks the app's grant and its rate,
forwards the bounded request through the SSRF-safe adapter with the caller's verified
identity signed by the hub, relays the answer, and counts the call for both units.

    answer = proxy.call_service(deps, caller, Call("000.00.02.H99", "land-records",
                                "GET", ["parcels", "12"], "x=1", headers, b""))
    answer.status, answer.headers, answer.body
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain import catalogue as catalogue_rules, keys, proxy as rules, proxy_signatures
from chalicelib.domain.errors import (
    ConditionFailedError,
    ContentionError,
    ForbiddenError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.outbound import OutboundFailedError, OutboundRefusedError
from chalicelib.domain.ports import (
    Condition,
    Item,
    OutboundPoster,
    Put,
    RelayedAnswer,
    TransactOp,
    Update,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import province_day
from chalicelib.services import counters, hub_signing, service_registry
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.proxy")
_RATE_TRIES = 8
_RATE_KEEP_SECONDS = 300


@dataclass(frozen=True)
class Call:
    """A call to proxy: the service, the method, the path's segments after `/call`, the
    query string (already encoded), the caller's headers and body."""

    unit: str
    service_id: str
    method: str
    segments: Sequence[str]
    query: str
    headers: Mapping[str, str]
    body: bytes


def transport(deps: Deps) -> OutboundPoster:
    """The SSRF-safe outbound adapter, built from the operator's settings (bootstrap)."""
    return deps.outbound


def _grant(deps: Deps, caller: Caller, call: Call) -> tuple[Item, Item]:
    """The listed entry and the caller app's grant on it (404 for an entry the caller
    may not call, 403 `no_grant` without a grant)."""
    entry = deps.table.get(*keys.catalogue_entry(call.unit, call.service_id)) \
        if call.unit.isascii() and call.service_id.isascii() else None
    if entry is None or entry["state"] != catalogue_rules.LISTED:
        raise NotFoundError(f"No listed service {call.unit}/{call.service_id} in the "
                            "catalogue.", code="catalogue_entry_not_found")
    grants = service_registry.grants_for(deps, call.unit, call.service_id, caller.unit)
    mine = [g for g in grants if g.get("source_app") in (caller.app, None)]
    if not caller.app or not mine:
        raise ForbiddenError(f"App {caller.app} has no grant on {call.unit}/"
                             f"{call.service_id}: ask for access (POST /v1/catalogue/"
                             "requests).", code="no_grant")
    mine.sort(key=lambda g: g.get("source_app") is None)  # the app's own grant first
    return entry, mine[0]


def _count_rate(deps: Deps, grant: Item) -> None:
    """One more call in the grant's minute window, or 429 `rate_limited`: a
    compare-and-set on the window's counter, correct across hosts."""
    now = deps.clock.now()
    limit = int(grant.get("rate_per_minute") or deps.settings.proxy_rate_per_minute)
    pk, sk = keys.proxy_rate(grant["grant_id"], rules.window(now))
    for _ in range(_RATE_TRIES):
        item = deps.table.get(pk, sk)
        calls = int(item["calls"]) if item else 0
        if calls >= limit:
            wait = rules.retry_after(now)
            raise rules.RateLimitedError(
                f"This grant allows {limit} calls a minute; try again in {wait} s.",
                retry_after=wait, limit=limit)
        try:
            if item is None:
                deps.table.put({"pk": pk, "sk": sk, "kind": "proxy_rate", "calls": 1,
                                "ttl": now + _RATE_KEEP_SECONDS}, Condition(exists=False))
            else:
                deps.table.update(Update(pk, sk, add={"calls": 1},
                                         condition=Condition(equals={"calls": calls})))
            return
        except ConditionFailedError:
            continue
    raise ContentionError("proxy rate window")


def _signed_request(deps: Deps, caller: Caller, grant: Item, url: str,
                    call: Call) -> dict[str, str]:
    key = hub_signing.current_key(deps)
    headers = {**rules.forwarded_headers(call.headers),
               **rules.identity_headers(caller.unit, caller.app or "", grant["grant_id"],
                                        grant["scopes"])}
    return proxy_signatures.sign(call.method, url, headers, call.body, key_id=key.kid,
                                 private_pem=key.private_pem, created=deps.clock.now(),
                                 nonce=secrets.token_urlsafe(16))


def _send(deps: Deps, url: str, call: Call, headers: Mapping[str, str]) -> RelayedAnswer:
    try:
        answer = transport(deps).request(call.method, url, call.body, headers,
                                         timeout=deps.settings.proxy_timeout_seconds,
                                         max_answer=rules.MAX_BODY)
    except OutboundRefusedError as exc:
        raise rules.ServiceFailedError(
            f"The hub does not call this service's address: {exc.message}.",
            code="service_address_refused", reason=exc.reason) from exc
    except OutboundFailedError as exc:
        if exc.reason == "timeout":
            raise rules.ServiceTimeoutError("The service did not answer in time.") from exc
        if exc.reason == "too_large":
            raise rules.ServiceFailedError("The service's answer is over 6 MiB, the most "
                                           "the proxy relays.",
                                           code="service_answer_too_large") from exc
        raise rules.ServiceFailedError(f"The service cannot be reached: {exc.message}.",
                                       reason=exc.reason) from exc
    if 300 <= answer.status < 400 and answer.status != 304:
        raise rules.ServiceFailedError("The service answered a redirect; the proxy follows "
                                       "none.", code="service_redirect_refused",
                                       status=answer.status)
    return answer


def _record_usage(deps: Deps, caller: Caller, call: Call, grant: Item,
                  answer: RelayedAnswer | None) -> None:
    """The call in both units' counters (tallies, settled now) and in the grant's usage."""
    status = answer.status if answer else None
    consumer, provider = rules.usage(len(call.body), len(answer.body) if answer else 0,
                                     status)
    now = deps.clock.now()
    day = province_day(now)
    about = {"kind": "proxy_usage", "grant_id": grant["grant_id"]}
    ops: list[TransactOp] = [counters.tally(deps, caller.unit, **consumer),
                             counters.tally(deps, call.unit, **provider),
                             Update(*keys.proxy_usage_day(grant["grant_id"], day),
                                    set={**about, "day": day}, add=provider),
                             Update(*keys.proxy_usage_month(grant["grant_id"], day[:7]),
                                    set={**about, "month": day[:7]}, add=provider)]
    try:
        deps.table.transact(ops)
    except (TransactionConflictError, ContentionError):  # the answer stands; said in logs
        log.exception("proxy: usage of grant %s not counted", grant["grant_id"])
        return
    counters.settle(deps, [op for op in ops if isinstance(op, Put)])


def call_service(deps: Deps, caller: Caller, call: Call) -> RelayedAnswer:
    """Forward `call` for `caller` (an app), or the refusal (docs/catalogue.md)."""
    entry, grant = _grant(deps, caller, call)
    path = rules.forward_path(call.segments)
    rules.check_body(len(call.body))
    _count_rate(deps, grant)
    url = rules.target_url(entry["base_url"], path, call.query)
    headers = _signed_request(deps, caller, grant, url, call)
    answer: RelayedAnswer | None = None
    try:
        answer = _send(deps, url, call, headers)
    finally:
        _record_usage(deps, caller, call, grant, answer)
    log.info("proxy %s %s/%s -> %s in %.0f ms", call.method, call.unit, call.service_id,
             answer.status, answer.elapsed_ms)
    return answer
