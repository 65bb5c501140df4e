"""Services units expose and the grants operators give on them (R-AUTH-2, R-JOIN-3).

Default deny: a source may open a session on a service only through a grant naming its
unit (and its app, or every app of the unit).
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp
from chalicelib.domain.session_schemas import (
    CreateGrantRequest,
    GrantView,
    RegisterServiceRequest,
    ServiceList,
    ServiceView,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services.deps import Deps
from chalicelib.services.roles import require_operator


def service_view(item: Item) -> ServiceView:
    return ServiceView(unit=item["unit"], id=item["service_id"], name=item["name"],
                       base_url=item["base_url"], ref=f"{item['unit']}/{item['service_id']}",
                       created_at=iso(int(item["created_at"])))


def service_item(deps: Deps, caller: Caller, service_id: str, name: str,
                 base_url: str) -> Item:
    """The registration of a service of the caller's unit (the catalogue writes the same
    one when a unit publishes a service it had not registered)."""
    pk, sk = keys.service(caller.unit, service_id)
    return {"pk": pk, "sk": sk, "kind": "service", "unit": caller.unit,
            "service_id": service_id, "name": name, "base_url": base_url.rstrip("/"),
            "created_by": caller.actor, "created_at": deps.clock.now()}


def register_service(deps: Deps, caller: Caller, body: RegisterServiceRequest) -> ServiceView:
    """A unit's app registers a service of its own unit (409 `service_exists`)."""
    item = service_item(deps, caller, body.id, body.name, body.base_url)
    try:
        deps.table.put(item, Condition(exists=False))
    except ConditionFailedError as exc:
        raise ConflictError(f"Service {body.id} already exists.", code="service_exists") from exc
    return service_view(item)


def list_services(deps: Deps, caller: Caller) -> ServiceList:
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = deps.table.query(keys.unit_services(caller.unit), prefix=keys.SERVICES,
                                cursor=cursor)
        items.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            return ServiceList(items=[service_view(i) for i in items])


def get_service(deps: Deps, unit: str, service_id: str) -> Item | None:
    return deps.table.get(*keys.service(unit, service_id))


def grants_for(deps: Deps, unit: str, service_id: str, source_unit: str) -> list[Item]:
    """The grants on a service naming `source_unit` (one query of the service's grants)."""
    page = deps.table.query(keys.grants_of(unit, service_id),
                            prefix=keys.grant_prefix(source_unit), limit=1000)
    return page.items


def grant_view(item: Item) -> GrantView:
    return GrantView(id=item["grant_id"], source_unit=item["source_unit"],
                     source_app=item["source_app"], service=item["service"],
                     scopes=list(item["scopes"]), created_at=iso(int(item["created_at"])),
                     created_by=item["created_by"])


def _check_source(deps: Deps, body: CreateGrantRequest) -> None:
    if deps.table.get(*keys.unit(body.source_unit)) is None:
        raise NotFoundError(f"Unit {body.source_unit} does not exist.", code="unknown_unit")
    if body.source_app is not None:
        app = deps.table.get(*keys.app(body.source_app))
        if app is None or app.get("unit") != body.source_unit:
            raise NotFoundError(f"App {body.source_app} of unit {body.source_unit} does not "
                                "exist.", code="unknown_app")


def new_grant(deps: Deps, actor: str, service: tuple[str, str], *, source_unit: str,
              source_app: str | None, scopes: list[str], rate_per_minute: int | None = None
              ) -> tuple[Item, list[TransactOp]]:
    """A grant and its id pointer, as the writes of a transaction (each conditional on
    being new: one grant per source and service). The catalogue's access grants use it
    too, so a granted request is exactly the grant `POST /v1/grants` makes (with, if
    given, its own rate a minute through the catalogue's proxy)."""
    service_unit, service_id = service
    grant_id = "gr-" + deps.ids.new_id()
    pk, sk = keys.grant(service_unit, service_id, source_unit, source_app)
    item: Item = {"pk": pk, "sk": sk, "kind": "grant", "grant_id": grant_id,
                  "source_unit": source_unit, "source_app": source_app,
                  "service": f"{service_unit}/{service_id}", "scopes": scopes,
                  "created_by": actor, "created_at": deps.clock.now(),
                  **({"rate_per_minute": rate_per_minute} if rate_per_minute else {})}
    ref_pk, ref_sk = keys.grant_ref(grant_id)
    return item, [Put(item, Condition(exists=False)),
                  Put({"pk": ref_pk, "sk": ref_sk, "kind": "grant_ref", "grant_pk": pk,
                       "grant_sk": sk}, Condition(exists=False))]


def grant_by_id(deps: Deps, grant_id: str) -> Item | None:
    """The grant `grant_id` (through its id pointer), or None."""
    ref = deps.table.get(*keys.grant_ref(grant_id)) if grant_id.isascii() else None
    return deps.table.get(ref["grant_pk"], ref["grant_sk"]) if ref else None


def grant_removal(deps: Deps, grant_id: str) -> tuple[Item, list[TransactOp]] | None:
    """The grant `grant_id` and the writes that remove it (conditional on it being that
    grant still), or None when there is no such grant."""
    grant = grant_by_id(deps, grant_id)
    if grant is None:
        return None
    return grant, [Delete(grant["pk"], grant["sk"], Condition(equals={"grant_id": grant_id})),
                   Delete(*keys.grant_ref(grant_id))]


def create_grant(deps: Deps, caller: Caller, body: CreateGrantRequest) -> GrantView:
    """An operator lets a source unit (or one of its apps) call a service with scopes."""
    require_operator(deps, caller)
    svc = body.service
    if get_service(deps, svc.unit, svc.id) is None:
        raise NotFoundError(f"Service {svc.unit}/{svc.id} does not exist.",
                            code="unknown_service")
    _check_source(deps, body)
    item, ops = new_grant(deps, caller.actor, (svc.unit, svc.id),
                          source_unit=body.source_unit, source_app=body.source_app,
                          scopes=body.scope_list())
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        raise ConflictError("This source already has a grant on this service; delete it "
                            "first.", code="grant_exists") from exc
    return grant_view(item)


def delete_grant(deps: Deps, caller: Caller, grant_id: str) -> GrantView:
    """Remove a grant: sessions opened under it stop introspecting as active at once."""
    require_operator(deps, caller)
    found = grant_removal(deps, grant_id)
    if found is None:
        raise NotFoundError(f"Grant {grant_id} does not exist.", code="unknown_grant")
    grant, ops = found
    try:
        deps.table.transact(ops)
    except TransactionConflictError as exc:
        raise NotFoundError(f"Grant {grant_id} does not exist.", code="unknown_grant") from exc
    return grant_view(grant)
