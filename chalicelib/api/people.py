"""People's accounts and a unit's SSO apps (R-COMP-6, R-OPS-3; docs/sso.md).

Unit admins manage their own unit's people, operators any unit's; a unit's SSO admins
(forms 09-11) see its SSO apps and rotate their secrets, nothing else. Every route takes
an app's signature or a person's `lgsp:admin` token, so each change names who made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, RouteSpec, WireModels, api_route, page_limit
from chalicelib.api.pages import public_base

if TYPE_CHECKING:
    from chalicelib.domain.oidc_schemas import SsoApps, SsoSecret
    from chalicelib.domain.people_schemas import PeopleList, PersonView, SetupLink

oidc = WireModels("chalicelib.domain.oidc_schemas")
models = WireModels("chalicelib.domain.people_schemas")

people_api = Blueprint(__name__)
_LINK = ("The link is shown only in this answer: ask for a new one with "
         "POST .../reset if it is lost.")


def _issuer(call: Call) -> str:
    return public_base(call.request, call.deps.settings) + "/sso"


@api_route(people_api, RouteSpec(
    "POST", "/v1/admin/units/{code}/people", "Unit admins and operators: create a person "
    "(the answer's one-time link lets them set a password)", models.SetupLink, status=201,
    request=models.CreatePerson, errors=(400, 401, 403, 404, 409),
    before_retry="List the unit's people: a second create of the same username is 409 "
                 "person_exists. " + _LINK))
def create_person(call: Call, code: str) -> SetupLink:
    from chalicelib.services import people
    return people.create(call.deps, call.who, code, call.body, issuer=_issuer(call))


@api_route(people_api, RouteSpec(
    "GET", "/v1/admin/units/{code}/people", "Unit admins and operators: the unit's people",
    models.PeopleList, query=PAGING, errors=(400, 401, 403, 404)))
def list_people(call: Call, code: str) -> PeopleList:
    from chalicelib.services import people
    return people.list_people(call.deps, call.who, code, limit=page_limit(call),
                              cursor=call.query("cursor"))


@api_route(people_api, RouteSpec(
    "PATCH", "/v1/admin/units/{code}/people/{username}", "Unit admins and operators: "
    "change a person's name, e-mail, roles, or disable them (every session ends)",
    models.PersonView, request=models.ChangePerson, errors=(400, 401, 403, 404, 409),
    idempotent=True))
def change_person(call: Call, code: str, username: str) -> PersonView:
    from chalicelib.services import people
    return people.change(call.deps, call.who, code, username, call.body,
                         issuer=_issuer(call))


@api_route(people_api, RouteSpec(
    "POST", "/v1/admin/units/{code}/people/{username}/reset", "Unit admins and operators: "
    "a one-time link to set a new password (optionally forgetting the TOTP)", models.SetupLink,
    request=models.ResetPerson, errors=(400, 401, 403, 404, 409),
    before_retry="Each call issues another link; every link works once until it expires."))
def reset_person(call: Call, code: str, username: str) -> SetupLink:
    from chalicelib.services import people
    return people.reset(call.deps, call.who, code, username, call.body, issuer=_issuer(call))


@api_route(people_api, RouteSpec(
    "GET", "/v1/admin/units/{code}/sso-apps", "The unit's apps registered with the SSO "
    "(its SSO admins, admins, operators)", oidc.SsoApps, errors=(400, 401, 403, 404)))
def list_sso_apps(call: Call, code: str) -> SsoApps:
    from chalicelib.domain.oidc_schemas import SsoApp, SsoApps
    from chalicelib.services import oidc_clients, roles, units
    roles.require_sso_manager(call.deps, call.who, code)
    units.require_unit(call.deps, code)
    items = [SsoApp(**oidc_clients.public_view(c)) for c in oidc_clients.of_unit(call.deps, code)]
    return SsoApps(items=items,
                   discovery_url=f"{_issuer(call)}/.well-known/openid-configuration")


@api_route(people_api, RouteSpec(
    "POST", "/v1/admin/units/{code}/sso-apps/{client_id}/secret", "A new client secret "
    "for one of the unit's SSO apps (the old one stops working now)", oidc.SsoSecret,
    errors=(401, 403, 404, 409),
    before_retry="The previous answer's secret may already be the current one; rotate "
                 "again if it was lost."))
def rotate_sso_secret(call: Call, code: str, client_id: str) -> SsoSecret:
    from chalicelib.domain.errors import ConditionFailedError, ConflictError
    from chalicelib.domain.oidc_schemas import SsoSecret
    from chalicelib.services import oidc_clients, roles, units
    roles.require_sso_manager(call.deps, call.who, code)
    client = oidc_clients.require(call.deps, code, client_id)
    try:
        secret = oidc_clients.rotate_secret(call.deps, client)
    except ConditionFailedError as exc:
        raise ConflictError("Only an active app with a client secret can rotate it.",
                            code="sso_app_has_no_secret") from exc
    call.deps.table.put(units.history_put(call.deps, code, "sso_secret_rotated",
                                          actor=call.who.actor,
                                          detail={"client_id": client_id}).item)
    return SsoSecret(client_id=client_id, client_secret=secret)
