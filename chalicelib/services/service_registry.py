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
from chalicelib.domain.ports import Condition, Delete, Item, Put
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


def register_service(deps: Deps, caller: Caller, body: RegisterServiceRequest) -> ServiceView:
    """A unit's app registers a service of its own unit (409 `service_exists`)."""
    pk, sk = keys.service(caller.unit, body.id)
    item: Item = {"pk": pk, "sk": sk, "kind": "service", "unit": caller.unit,
                  "service_id": body.id, "name": body.name,
                  "base_url": body.base_url.rstrip("/"), "created_by": caller.actor,
                  "created_at": deps.clock.now()}
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


def _grant_view(item: Item) -> GrantView:
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


def create_grant(deps: Deps, caller: Caller, body: CreateGrantRequest) -> GrantView:
    """An operator lets a source unit (or one of its apps) call a service with scopes."""
    require_operator(deps, caller)
    svc = body.service
    if get_service(deps, svc.unit, svc.id) is None:
        raise NotFoundError(f"Service {svc.unit}/{svc.id} does not exist.",
                            code="unknown_service")
    _check_source(deps, body)
    grant_id = "gr-" + deps.ids.new_id()
    pk, sk = keys.grant(svc.unit, svc.id, body.source_unit, body.source_app)
    item: Item = {"pk": pk, "sk": sk, "kind": "grant", "grant_id": grant_id,
                  "source_unit": body.source_unit, "source_app": body.source_app,
                  "service": f"{svc.unit}/{svc.id}", "scopes": body.scope_list(),
                  "created_by": caller.actor, "created_at": deps.clock.now()}
    ref_pk, ref_sk = keys.grant_ref(grant_id)
    try:
        deps.table.transact([
            Put(item, Condition(exists=False)),
            Put({"pk": ref_pk, "sk": ref_sk, "kind": "grant_ref", "grant_pk": pk,
                 "grant_sk": sk}, Condition(exists=False))])
    except TransactionConflictError as exc:
        raise ConflictError("This source already has a grant on this service; delete it "
                            "first.", code="grant_exists") from exc
    return _grant_view(item)


def delete_grant(deps: Deps, caller: Caller, grant_id: str) -> GrantView:
    """Remove a grant: sessions opened under it stop introspecting as active at once."""
    require_operator(deps, caller)
    ref = deps.table.get(*keys.grant_ref(grant_id)) if grant_id.isascii() else None
    grant = deps.table.get(ref["grant_pk"], ref["grant_sk"]) if ref else None
    if ref is None or grant is None:
        raise NotFoundError(f"Grant {grant_id} does not exist.", code="unknown_grant")
    try:
        deps.table.transact([
            Delete(grant["pk"], grant["sk"], Condition(equals={"grant_id": grant_id})),
            Delete(ref["pk"], ref["sk"])])
    except TransactionConflictError as exc:
        raise NotFoundError(f"Grant {grant_id} does not exist.", code="unknown_grant") from exc
    return _grant_view(grant)
