"""A unit admin manages its own unit's apps and their keys (R-OPS-3); operators any
unit's. Another unit's app is answered as if it did not exist (404), never 403, so a unit
admin cannot even learn which app ids other units have."""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import ForbiddenError, NotFoundError
from chalicelib.domain.exchange import iso
from chalicelib.domain.key_schemas import KeyView
from chalicelib.domain.ports import Item
from chalicelib.domain.signatures import Caller
from chalicelib.domain.unit_schemas import UnitApp, UnitApps
from chalicelib.services import keys as key_service
from chalicelib.services import units
from chalicelib.services.deps import Deps
from chalicelib.services.records import every_item
from chalicelib.services.roles import is_operator, is_unit_admin, require_unit_admin


def _view(deps: Deps, caller: Caller, app: Item) -> UnitApp:
    return UnitApp(app=app["app"], unit=app["unit"], name=app["name"],
                   role=app.get("role", "app"), status=app["status"],
                   legacy=bool(app.get("legacy")), created_at=iso(int(app["created_at"])),
                   keys=key_service.app_keys(deps, caller, app["app"]))


def list_unit_apps(deps: Deps, caller: Caller, unit: str) -> UnitApps:
    require_unit_admin(deps, caller, unit)
    units.require_unit(deps, unit)
    apps = [deps.table.get(*keys.app(link["app"]))
            for link in every_item(deps, f"UNIT#{unit}", prefix="APP#")]
    return UnitApps(unit=unit, items=[_view(deps, caller, a) for a in apps if a is not None])


def _managed_app(deps: Deps, caller: Caller, app_id: str) -> Item:
    operator = is_operator(deps, caller)
    if not operator and not is_unit_admin(deps, caller):
        raise ForbiddenError("Only an admin of this unit (or an operator) may do this.",
                             code="forbidden")
    app = deps.table.get(*keys.app(app_id)) if app_id.replace("-", "").isalnum() else None
    if app is None or (not operator and app["unit"] != caller.unit):
        raise NotFoundError(f"No app {app_id} in your unit.", code="app_not_found")
    return app


def revoke_app_key(deps: Deps, caller: Caller, app_id: str, key_id: str) -> KeyView:
    """Revoke one key of an app of the admin's unit at once."""
    app = _managed_app(deps, caller, app_id)
    return key_service.revoke_app_key(deps, caller, app["app"], key_id)
