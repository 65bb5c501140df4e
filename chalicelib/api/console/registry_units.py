"""The unit registry in the console, for operators (R-JOIN-1, R-PROP-11): the units
(search accent-insensitive through the directory's index, filters by status and level)
and one unit's facts, apps, people and history (who did what)."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.console.base import OPERATOR, View, console_route
from chalicelib.domain.directory import UNIT_STATUSES

PAGE = 50
LEVELS = ("1", "2", "3", "4")



def _filters(view: View) -> tuple[str, str | None, int | None]:
    """The list's filters as typed; an unknown status or level is no filter (the form
    offers only the known ones)."""
    status = view.arg("status")
    level = view.arg("level")
    return (view.arg("q").strip()[:200], status if status in UNIT_STATUSES else None,
            int(level) if level in LEVELS else None)


@console_route("/console/units", ["GET"], summary="Operators: the units of the province",
               who=OPERATOR)
def units_list(view: View) -> Response:
    from chalicelib.services import directory
    q, status, level = _filters(view)
    cursor = view.arg("cursor") or None
    found = directory.search(view.deps, q or None, status=status, level=level, limit=PAGE,
                             cursor=None if q else cursor)
    more = view.url("/console/units", q=q, status=status or "", level=str(level or ""),
                    cursor=found.next_cursor or "") if found.next_cursor else None
    imported = view.arg("imported")
    notice = view.t["import_done"].format(n=imported) if imported.isdigit() else None
    return view.render("registry_units.html", notice=notice, found=found, q=q,
                       wanted_status=status or "", level=str(level or ""),
                       statuses=UNIT_STATUSES, levels=LEVELS, more=more)


@console_route("/console/units/{code}", ["GET"], summary="Operators: one unit, its apps, "
               "people and history", who=OPERATOR)
def unit_detail(view: View, code: str) -> Response:
    from chalicelib.services import people, unit_apps, units
    unit = units.require_unit(view.deps, code)
    apps = unit_apps.list_unit_apps(view.deps, view.caller, code)
    staff = people.list_people(view.deps, view.caller, code, limit=PAGE, cursor=None)
    history = units.unit_history(view.deps, code, limit=PAGE,
                                 cursor=view.arg("cursor") or None)
    more = view.url(f"/console/units/{code}", cursor=history.cursor) if history.cursor \
        else None
    return view.render("registry_unit.html", unit=unit, apps=apps.items, people=staff,
                       history=history.items, more=more)
