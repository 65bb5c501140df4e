"""People's accounts in the console (R-COMP-6, R-OPS-3): a unit admin manages their own
unit's people, an operator any unit's. Creating a person or resetting one shows the
one-time setup link once (on the answer to that POST, never again); disabling ends every
session of theirs at once (the service does it)."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route
from chalicelib.domain.errors import LgspError

PAGE = 100


def _unit(view: View) -> str:
    return (view.arg("unit") or view.field("unit")).strip() or \
        ("" if view.operator else view.unit)


def _issuer(view: View) -> str:
    return f"{view.page.base}/sso"


def _roles(view: View) -> tuple[str, ...]:
    return ("member", "unit_admin", "sso_admin", "operator") if view.operator else \
        ("member", "unit_admin", "sso_admin")


def _people_page(view: View, unit: str, *, status: int = 200, error: str | None = None
                 ) -> Response:
    from chalicelib.services import people
    listed = people.list_people(view.deps, view.caller, unit, limit=PAGE,
                                cursor=view.arg("cursor") or None) if unit else None
    done = view.arg("done")
    notice = view.t.get(f"person_{done}") if done in ("disabled", "active") else None
    return view.render("registry_people.html", status=status, error=error, unit=unit,
                       listed=listed, roles=_roles(view), notice=notice,
                       values=view.page.form)


@console_route("/console/people", ["GET"], summary="A unit's people", who=UNIT_ADMIN)
def people_list(view: View) -> Response:
    return _people_page(view, _unit(view))


@console_route("/console/people", ["POST"], summary="Create a person (the one-time "
               "setup link shown once)", who=UNIT_ADMIN)
def person_create(view: View) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain.people_schemas import CreatePerson
    from chalicelib.services import people
    unit = view.field("unit").strip()
    try:
        body = CreatePerson.model_validate({
            "username": view.field("username").strip(), "name": view.field("name").strip(),
            "email": view.field("email").strip() or None,
            "roles": view.fields("roles") or ["member"]})
        made = people.create(view.deps, view.caller, unit, body, issuer=_issuer(view))
    except ValidationError as exc:
        return _people_page(view, unit, status=400, error="; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
    except LgspError as err:
        if err.status in (401, 403, 404) or err.status >= 500:
            raise
        return _people_page(view, unit, status=err.status, error=err.message)
    return view.render("registry_link.html", unit=unit, person=made.person, link=made.link,
                       expires=made.expires_at, reset=False)


@console_route("/console/people/{username}/status", ["POST"], summary="Disable or "
               "enable a person", who=UNIT_ADMIN)
def person_status(view: View, username: str) -> Response:
    from chalicelib.domain.people_schemas import ChangePerson
    from chalicelib.services import people
    unit, wanted = view.field("unit").strip(), view.field("status")
    if wanted not in ("active", "disabled"):
        return _people_page(view, unit, status=400, error=view.t["person_bad_status"])
    people.change(view.deps, view.caller, unit, username, ChangePerson(status=wanted),
                  issuer=_issuer(view))
    return view.redirect("/console/people", unit=unit, done=wanted)


@console_route("/console/people/{username}/reset", ["POST"], summary="A new one-time "
               "link for a person (shown once)", who=UNIT_ADMIN)
def person_reset(view: View, username: str) -> Response:
    from chalicelib.domain.people_schemas import ResetPerson
    from chalicelib.services import people
    unit = view.field("unit").strip()
    made = people.reset(view.deps, view.caller, unit, username,
                        ResetPerson(second_factor=view.field("second_factor") == "yes"),
                        issuer=_issuer(view))
    return view.render("registry_link.html", unit=unit, person=made.person, link=made.link,
                       expires=made.expires_at, reset=True)
