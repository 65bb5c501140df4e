"""Operator routes (`/v1/admin/...`): actions of the province's IT department."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route

if TYPE_CHECKING:
    from chalicelib.domain.admin_schemas import AppView

models = WireModels("chalicelib.domain.admin_schemas")

admin_api = Blueprint(__name__)


@api_route(admin_api, RouteSpec(
    "PUT", "/v1/admin/apps/{app_id}/legacy", "Flag an app legacy (allows HMAC-SHA1 keys) or "
    "clear the flag (operators only)", models.AppView, request=models.LegacyFlag,
    errors=(400, 401, 403, 404)))
def set_legacy(call: Call, app_id: str) -> AppView:
    from chalicelib.domain.admin_schemas import AppView
    from chalicelib.services import registry
    item = registry.set_legacy(call.deps, call.who, app_id, call.body.legacy)
    return AppView(app=item["app"], unit=item["unit"], name=item["name"],
                   status=item["status"], legacy=bool(item.get("legacy")))
