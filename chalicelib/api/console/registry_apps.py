"""Apps and their keys in the console (R-JOIN-2, R-OPS-3): operators pick a unit, a unit
admin sees their own. The list shows every key (id, algorithm, created, last used,
status), never a secret. Operators create apps and issue keys (the province's IT
department issues them); both revoke a key after a confirm step.

A new secret is shown once, on the answer to the POST that made it, with a warning;
it is never put in a link, a cookie or any later page (the answer is `no-store`)."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route
from chalicelib.domain.algorithm_ids import ASYMMETRIC, LEGACY_ONLY, NAMES
from chalicelib.domain.errors import LgspError

ROLES = ("app", "unit_admin")



def _unit(view: View) -> str:
    """The unit the page is about: an operator's choice, a unit admin's own unit (asking
    for another is refused by the services, 403)."""
    return (view.arg("unit") or view.field("unit")).strip() or \
        ("" if view.operator else view.unit)


def _apps_page(view: View, unit: str, *, status: int = 200, error: str | None = None
               ) -> Response:
    from chalicelib.services import unit_apps
    apps = unit_apps.list_unit_apps(view.deps, view.caller, unit).items if unit else None
    revoked = view.arg("revoked")
    return view.render("registry_apps.html", status=status, error=error, unit=unit,
                       apps=apps, algorithms=sorted(NAMES), asymmetric=ASYMMETRIC,
                       legacy_only=LEGACY_ONLY, roles=ROLES,
                       notice=view.t["key_revoked"].format(key=revoked)
                       if revoked.isalnum() else None, values=view.page.form)


@console_route("/console/apps", ["GET"], summary="A unit's apps and their keys",
               who=UNIT_ADMIN)
def apps_list(view: View) -> Response:
    return _apps_page(view, _unit(view))


@console_route("/console/apps", ["POST"], summary="Operators: create an app of a unit "
               "(its first key's secret shown once)", who=UNIT_ADMIN)
def app_create(view: View) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain.unit_schemas import CreateUnitApp
    from chalicelib.services import unit_apps
    unit = view.field("unit").strip()
    try:
        body = CreateUnitApp.model_validate({
            "name": view.field("name").strip(), "algorithm": view.field("algorithm"),
            "public_key": view.field("public_key").strip() or None,
            "role": view.field("role") or "app", "legacy": view.field("legacy") == "yes"})
        created = unit_apps.create_unit_app(view.deps, view.caller, unit, body)
    except ValidationError as exc:
        return _apps_page(view, unit, status=400, error="; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
    except LgspError as err:
        if err.status in (401, 403, 404) or err.status >= 500:
            raise
        return _apps_page(view, unit, status=err.status, error=err.message)
    c = created.credentials
    return view.render("registry_secret.html", unit=unit, app=created.app.name, app_id=c.app,
                       key_id=c.access_key, algorithm=c.algorithm, secret=c.secret_key)


@console_route("/console/apps/{app_id}/keys", ["POST"], summary="Operators: issue one "
               "more key for an app (its secret shown once)", who=UNIT_ADMIN)
def key_add(view: View, app_id: str) -> Response:
    from chalicelib.services import unit_apps
    app = unit_apps.managed_app(view.deps, view.caller, app_id)
    try:
        key, secret = unit_apps.add_app_key(
            view.deps, view.caller, app["app"], algorithm=view.field("algorithm"),
            public_key=view.field("public_key").strip() or None)
    except LgspError as err:
        if err.status in (401, 403, 404) or err.status >= 500:
            raise
        return _apps_page(view, app["unit"], status=err.status, error=err.message)
    return view.render("registry_secret.html", unit=app["unit"], app=app["name"],
                       app_id=app["app"], key_id=key.key_id, algorithm=key.algorithm,
                       secret=secret)


@console_route("/console/apps/{app_id}/keys/{key_id}/revoke", ["GET"], summary="Confirm "
               "revoking an app's key", who=UNIT_ADMIN)
def key_revoke_confirm(view: View, app_id: str, key_id: str) -> Response:
    from chalicelib.services import access_keys, unit_apps
    app = unit_apps.managed_app(view.deps, view.caller, app_id)
    key = next((k for k in access_keys.app_keys(view.deps, view.caller, app["app"])
                if k.key_id == key_id), None)
    if key is None:
        return view.refusal(404, view.t["key_unknown"], code="key_not_found")
    return view.render("registry_revoke.html", app=app, key=key)


@console_route("/console/apps/{app_id}/keys/{key_id}/revoke", ["POST"], summary="Revoke "
               "an app's key at once", who=UNIT_ADMIN)
def key_revoke(view: View, app_id: str, key_id: str) -> Response:
    from chalicelib.services import unit_apps
    app = unit_apps.managed_app(view.deps, view.caller, app_id)
    key = unit_apps.revoke_app_key(view.deps, view.caller, app["app"], key_id)
    return view.redirect("/console/apps", unit=app["unit"], revoked=key.key_id)
