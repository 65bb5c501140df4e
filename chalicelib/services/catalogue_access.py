"""Access to the catalogue's services (R-JOIN-3, docs/catalogue.md): a unit asks for one
of its apps, the service's owner unit (or an operator) grants or refuses, and either
revokes.

Granting writes, in the same transaction as the request's new state, exactly the grant
`POST /v1/grants` writes (`service_registry.new_grant`), so the brokered session of that
app on that service works at once; revoking removes it the way `DELETE /v1/grants` does,
so its tokens introspect inactive at once. Each side lists the requests that involve it
from a partition of its own: another unit's never appear.
"""

from __future__ import annotations

from chalicelib.domain import catalogue as rules, keys, proxy as proxy_rules
from chalicelib.domain.catalogue_schemas import (
    AccessPage,
    AccessRequestBody,
    AccessView,
    GrantUsage,
    UsageFigures,
)
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.sessions import parse_service_ref
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso, province_day
from chalicelib.services import roles, service_registry
from chalicelib.services.catalogue import require_member
from chalicelib.services.deps import Deps

ROLES = ("provider", "consumer")


def access_view(deps: Deps, item: Item) -> AccessView:
    decided = item.get("decided_at")
    rate = (item.get("rate_per_minute") or deps.settings.proxy_rate_per_minute) \
        if item["state"] == rules.GRANTED else None
    return AccessView(
        id=item["request_id"], service=item["service"], provider_unit=item["provider_unit"],
        consumer_unit=item["consumer_unit"], app=item["app"], scopes=list(item["scopes"]),
        purpose=item["purpose"], state=item["state"], reason=item.get("reason"),
        grant_id=item.get("grant_id"), requested_at=iso(int(item["requested_at"])),
        requested_by=item["requested_by"],
        decided_at=iso(int(decided)) if decided is not None else None,
        decided_by=item.get("decided_by"), rate_per_minute=rate)


def _writes(record: Item, guard: Condition) -> list[TransactOp]:
    """The record and its copy in each side's partition."""
    fields = {k: v for k, v in record.items() if k not in ("pk", "sk")}
    pk, sk = keys.access_request(record["request_id"])
    copies = [keys.access_listing(part, int(record["requested_at"]), record["request_id"])
              for part in (keys.provider_access(record["provider_unit"]),
                           keys.consumer_access(record["consumer_unit"]))]
    return [Put({"pk": pk, "sk": sk, **fields}, guard),
            *(Put({"pk": cpk, "sk": csk, **fields, "kind": "access_copy"})
              for cpk, csk in copies)]


def request_access(deps: Deps, caller: Caller, body: AccessRequestBody) -> AccessView:
    """One open request per app and service (409 `access_request_exists`)."""
    require_member(deps, caller, caller.unit)
    ref = parse_service_ref(body.service)
    entry = deps.table.get(*keys.catalogue_entry(ref.unit, ref.service_id))
    if entry is None or entry["state"] != rules.LISTED:
        raise NotFoundError(f"No listed service {body.service} in the catalogue.",
                            code="catalogue_entry_not_found")
    app = deps.table.get(*keys.app(body.app))
    if app is None or app.get("unit") != caller.unit:
        raise NotFoundError(f"App {body.app} of unit {caller.unit} does not exist.",
                            code="unknown_app")
    record: Item = {
        "kind": "access_request", "request_id": "ar-" + deps.ids.new_id(),
        "service": body.service, "provider_unit": ref.unit, "consumer_unit": caller.unit,
        "app": body.app, "scopes": rules.scopes_for(body.scopes, entry["scopes"]),
        "purpose": body.purpose, "state": rules.PENDING, "requested_at": deps.clock.now(),
        "requested_by": caller.actor}
    pair_pk, pair_sk = keys.access_pair(ref.unit, ref.service_id, body.app)
    try:
        deps.table.transact([
            *_writes(record, Condition(exists=False)),
            Put({"pk": pair_pk, "sk": pair_sk, "kind": "access_pair",
                 "request_id": record["request_id"]}, Condition(exists=False))])
    except TransactionConflictError as exc:
        raise ConflictError(f"App {body.app} has an open request on {body.service} "
                            "already.", code="access_request_exists") from exc
    return access_view(deps, record)


def _visible(deps: Deps, caller: Caller, request_id: str) -> tuple[Item, bool]:
    """The request and whether the caller may decide it (its provider, an operator);
    404 for a caller who is neither side."""
    item = deps.table.get(*keys.access_request(request_id)) if request_id.isascii() else None
    operator = roles.is_operator(deps, caller)
    if item is None or not (operator or caller.unit in (item["provider_unit"],
                                                        item["consumer_unit"])):
        raise NotFoundError(f"No access request {request_id}.",
                            code="access_request_not_found")
    return item, rules.may_decide_access(item["provider_unit"], unit=caller.unit,
                                         operator=operator)


def _usage(deps: Deps, grant_id: str) -> GrantUsage:
    """The grant's usage today and this month (two reads: data-model C11)."""
    day = province_day(deps.clock.now())
    today = deps.table.get(*keys.proxy_usage_day(grant_id, day))
    month = deps.table.get(*keys.proxy_usage_month(grant_id, day[:7]))
    return GrantUsage(day=day, month=day[:7],
                      today=UsageFigures(**proxy_rules.usage_figures(today)),
                      this_month=UsageFigures(**proxy_rules.usage_figures(month)))


def get_request(deps: Deps, caller: Caller, request_id: str) -> AccessView:
    """One request and, once granted (revoked too), its grant's usage through the proxy."""
    item = _visible(deps, caller, request_id)[0]
    view = access_view(deps, item)
    if item.get("grant_id"):
        view.usage = _usage(deps, item["grant_id"])
    return view


def _grant_ops(deps: Deps, caller: Caller, record: Item, new: Item) -> list[TransactOp]:
    ref = parse_service_ref(record["service"])
    if service_registry.get_service(deps, ref.unit, ref.service_id) is None:
        raise NotFoundError(f"Service {record['service']} is no longer registered.",
                            code="unknown_service")
    grant, ops = service_registry.new_grant(
        deps, caller.actor, (ref.unit, ref.service_id), source_unit=record["consumer_unit"],
        source_app=record["app"], scopes=list(record["scopes"]),
        rate_per_minute=new.get("rate_per_minute"))
    new["grant_id"] = grant["grant_id"]
    return ops


def _closing_ops(deps: Deps, record: Item) -> list[TransactOp]:
    """A refused or revoked request frees its app's place and, if granted, its grant
    (already gone if an operator deleted it through `DELETE /v1/grants`)."""
    ref = parse_service_ref(record["service"])
    ops: list[TransactOp] = [Delete(*keys.access_pair(ref.unit, ref.service_id,
                                                      record["app"]))]
    found = service_registry.grant_removal(deps, record["grant_id"]) \
        if record.get("grant_id") else None
    return ops + (found[1] if found else [])


def _decidable(deps: Deps, caller: Caller, request_id: str) -> Item:
    """The request, if the caller may decide it (else 403 `forbidden`, or 404)."""
    record, may_decide = _visible(deps, caller, request_id)
    if not may_decide:
        raise ForbiddenError("Only the service's owner unit (or an operator) may do this.",
                             code="forbidden")
    require_member(deps, caller, record["provider_unit"])
    return record


def decide(deps: Deps, caller: Caller, request_id: str, action: str, *,
           reason: str | None = None, rate_per_minute: int | None = None) -> AccessView:
    """`grant` (with the grant's own rate a minute, if given), `refuse` or `revoke`, by
    the service's owner unit or an operator."""
    record = _decidable(deps, caller, request_id)
    state = rules.request_move(action, record["state"])
    new: Item = {**record, "state": state, "decided_at": deps.clock.now(),
                 "decided_by": caller.actor, "reason": reason}
    if action == "grant":
        new["rate_per_minute"] = rate_per_minute
    extra = _grant_ops(deps, caller, record, new) if action == "grant" \
        else _closing_ops(deps, record)
    try:
        deps.table.transact([*_writes(new, Condition(equals={"state": record["state"]})),
                             *extra])
    except TransactionConflictError as exc:
        if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
            raise ConflictError("The request changed meanwhile; read it and try again.",
                                code="conflict") from exc
        raise ConflictError(f"App {record['app']} has a grant on {record['service']} "
                            "already; remove it first.", code="grant_exists") from exc
    return access_view(deps, new)


def change_rate(deps: Deps, caller: Caller, request_id: str,
                rate_per_minute: int | None) -> AccessView:
    """The owner (or an operator) sets a granted request's rate a minute through the
    proxy (None: the hub's default), on the grant the proxy reads and on the request, in
    one transaction."""
    record = _decidable(deps, caller, request_id)
    rules.request_move("change_rate", record["state"])
    grant = service_registry.grant_by_id(deps, record["grant_id"])
    if grant is None:
        raise NotFoundError(f"The grant of request {request_id} was removed (DELETE "
                            "/v1/grants): revoke the request.", code="unknown_grant")
    rate = {"rate_per_minute": rate_per_minute}
    new: Item = {**record, **rate}
    try:
        deps.table.transact([
            *_writes(new, Condition(equals={"state": rules.GRANTED})),
            Update(grant["pk"], grant["sk"], set=rate if rate_per_minute else {},
                   remove=() if rate_per_minute else tuple(rate),
                   condition=Condition(equals={"grant_id": grant["grant_id"]}))])
    except TransactionConflictError as exc:
        raise ConflictError("The request changed meanwhile; read it and try again.",
                            code="conflict") from exc
    return access_view(deps, new)


def list_access(deps: Deps, caller: Caller, role: str, *, limit: int,
                cursor: str | None) -> AccessPage:
    """The requests (and grants) involving the caller's unit on one side, newest first."""
    part = keys.provider_access(caller.unit) if role == "provider" \
        else keys.consumer_access(caller.unit)
    page = deps.table.query(part, limit=limit, cursor=cursor, descending=True)
    return AccessPage(role="provider" if role == "provider" else "consumer",
                      items=[access_view(deps, i) for i in page.items], next_cursor=page.cursor)
