"""Operator routes for the unit registry: units, bulk import, re-organisation
(R-JOIN-1, R-JOIN-5). Thin handlers over `chalicelib/services/`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, RouteSpec, WireModels, api_route, page_limit
from chalicelib.domain.times import iso

if TYPE_CHECKING:
    from chalicelib.domain.access_key_schemas import KeyView
    from chalicelib.domain.ports import Item
    from chalicelib.domain.reorg import ReorgView
    from chalicelib.domain.unit_schemas import (
        CreatedUnitApp,
        ImportReport,
        ImportRequest,
        ReorgList,
        UnitApps,
        UnitHistory,
        UnitView,
    )

access_key = WireModels("chalicelib.domain.access_key_schemas")
models = WireModels("chalicelib.domain.unit_schemas")
reorg_models = WireModels("chalicelib.domain.reorg")

units_admin_api = Blueprint(__name__)


def unit_view(item: Item) -> UnitView:
    from chalicelib.domain.unit_schemas import UnitView
    return UnitView(code=item["code"], name=item["name"],
                    short_name=item.get("short_name") or item["name"],
                    level=item.get("level", 0), parent=item.get("parent"),
                    status=item["status"], account=item.get("account", ""),
                    contact=item.get("contact") or {}, successors=item.get("successors") or [],
                    created_at=iso(item["created_at"]),
                    changed_at=iso(int(item.get("changed_at") or item["created_at"])))


@api_route(units_admin_api, RouteSpec(
    "POST", "/v1/admin/units", "Operators: register a unit", models.UnitView, status=201,
    request=models.CreateUnit, errors=(400, 401, 403, 409),
    idempotent=True))  # by code: a second one is 409 unit_exists
def create_unit(call: Call) -> UnitView:
    from chalicelib.services import units
    from chalicelib.services.roles import require_operator
    require_operator(call.deps, call.who)
    return unit_view(units.register(call.deps, call.body, actor=call.who.actor))


@api_route(units_admin_api, RouteSpec(
    "PATCH", "/v1/admin/units/{code}", "Operators: change a unit's names, contact or "
    "status (active / suspended)", models.UnitView, request=models.ChangeUnit,
    errors=(400, 401, 403, 404, 409), idempotent=True))  # sets values
def change_unit(call: Call, code: str) -> UnitView:
    from chalicelib.services import units
    from chalicelib.services.roles import require_operator
    require_operator(call.deps, call.who)
    changes: dict[str, Any] = call.body.model_dump(exclude_none=True)
    item = units.update_unit(call.deps, code, changes, actor=call.who.actor)
    return unit_view(item)


@api_route(units_admin_api, RouteSpec(
    "GET", "/v1/admin/units/{code}/history", "Operators: a unit's changes, newest first",
    models.UnitHistory, query=PAGING, errors=(400, 401, 403, 404)))
def unit_history(call: Call, code: str) -> UnitHistory:
    from chalicelib.domain.unit_schemas import UnitHistory, UnitHistoryLine
    from chalicelib.services import units
    from chalicelib.services.roles import require_operator
    require_operator(call.deps, call.who)
    page = units.unit_history(call.deps, code, limit=page_limit(call),
                              cursor=call.query("cursor"))
    return UnitHistory(code=code, next_cursor=page.cursor, items=[UnitHistoryLine(
        at=iso(i["at"]), event=i["event"], actor=i.get("actor"), detail=i.get("detail") or {})
        for i in page.items])


@api_route(units_admin_api, RouteSpec(
    "POST", "/v1/admin/units/import", "Operators: import a unit list (CSV or JSON); a dry "
    "run reports every bad row, and nothing is imported unless every row is good",
    models.ImportReport, request=models.ImportRequest, errors=(400, 401, 403, 422),
    before_retry="A dry run is always safe. An import may have been applied in part: run a "
                 "dry run, where imported rows report unit_exists, and import the rest."))
def import_units(call: Call) -> ImportReport:
    from chalicelib.services import unit_import
    body: ImportRequest = call.body
    return unit_import.import_units(call.deps, call.who, fmt=body.format, data=body.data,
                                    dry_run=body.dry_run)


@api_route(units_admin_api, RouteSpec(
    "POST", "/v1/admin/reorganisations", "Operators: rename, merge, split or dissolve "
    "units, with the legal basis and effective date (R-JOIN-5)", reorg_models.ReorgView,
    status=201, request=reorg_models.Reorganisation, errors=(400, 401, 403, 404, 409),
    before_retry="Look for it in GET /v1/admin/reorganisations (newest first) before "
                 "sending it again."))
def reorganise(call: Call) -> ReorgView:
    from chalicelib.services import reorg
    return reorg.reorganise(call.deps, call.who, call.body)


@api_route(units_admin_api, RouteSpec(
    "GET", "/v1/admin/reorganisations", "Operators: re-organisations, newest first",
    models.ReorgList, query=PAGING, errors=(400, 401, 403)))
def list_reorganisations(call: Call) -> ReorgList:
    from chalicelib.domain.unit_schemas import ReorgList
    from chalicelib.services import reorg
    items, cursor = reorg.list_reorgs(call.deps, call.who, limit=page_limit(call),
                                      cursor=call.query("cursor"))
    return ReorgList(items=[i.model_dump(mode="json") for i in items], next_cursor=cursor)


@api_route(units_admin_api, RouteSpec(
    "GET", "/v1/admin/units/{code}/apps", "Unit admins (their own unit) and operators: the "
    "unit's apps with their keys, never a secret (R-OPS-3)", models.UnitApps,
    errors=(400, 401, 403, 404)))
def list_unit_apps(call: Call, code: str) -> UnitApps:
    from chalicelib.services import unit_apps
    return unit_apps.list_unit_apps(call.deps, call.who, code)


@api_route(units_admin_api, RouteSpec(
    "POST", "/v1/admin/units/{code}/apps", "Operators: create an app of an active unit "
    "and its first key, recorded in the unit's history; an HMAC secret is shown this once "
    "(R-JOIN-2)", models.CreatedUnitApp, status=201, request=models.CreateUnitApp,
    errors=(400, 401, 403, 404, 409),
    before_retry="GET /v1/admin/units/{code}/apps: an app the failed call created is "
    "listed, and its HMAC secret is lost: revoke its key, or create another app."))
def create_unit_app(call: Call, code: str) -> CreatedUnitApp:
    from chalicelib.services import unit_apps
    created = unit_apps.create_unit_app(call.deps, call.who, code, call.body)
    call.headers["Cache-Control"] = "no-store"
    return created


@api_route(units_admin_api, RouteSpec(
    "DELETE", "/v1/admin/apps/{app_id}/keys/{key_id}", "Unit admins (apps of their own "
    "unit) and operators: revoke an app's key at once", access_key.KeyView, errors=(401, 403, 404)))
def revoke_app_key(call: Call, app_id: str, key_id: str) -> KeyView:
    from chalicelib.services import unit_apps
    return unit_apps.revoke_app_key(call.deps, call.who, app_id, key_id)
