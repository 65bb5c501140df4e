"""The console's trace search and presence pages (R-SEND-5, R-PROP-9, R-PROP-12;
docs/console.md).

Trace: a message id -> its state, deliveries and trace lines, metadata only (never its
content, title or file name): operators any message (`status.any_message_status`), a
unit admin only what their unit sent or was sent (`status.message_status`: else 404, the
API's answer, so ids cannot be probed). Presence: operators the units online now and any
unit's state and history; a unit admin their own (`services/presence.py`).
"""

from __future__ import annotations

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route, nav_item

PAGE = 50

nav_item("/console/trace", "nav_trace", None)
nav_item("/console/presence", "nav_presence", None)


@console_route("/console/trace", ["GET"], summary="A message's status and trace",
               who=UNIT_ADMIN)
def trace_page(view: View) -> Response:
    from chalicelib.services import status
    wanted = view.arg("id").strip()
    if not wanted:
        return view.render("reports_trace.html", wanted="", found=None)
    found = status.any_message_status(view.deps, view.caller, wanted) if view.operator \
        else status.message_status(view.deps, view.caller, wanted)
    return view.render("reports_trace.html", wanted=wanted, found=found)


@console_route("/console/presence", ["GET"], summary="Who is online, and a unit's presence",
               who=UNIT_ADMIN)
def presence_page(view: View) -> Response:
    from chalicelib.services import presence
    unit = view.arg("unit") or (None if view.operator else view.unit)
    online = presence.online_units(view.deps, view.caller, limit=PAGE,
                                   cursor=view.arg("online_cursor") or None) \
        if view.operator else None
    state = events = None
    if unit is not None:
        state = presence.presence(view.deps, view.caller, unit)
        events = presence.history(view.deps, view.caller, unit, limit=PAGE,
                                  cursor=view.arg("cursor") or None)
    shown = unit if view.operator else ""
    return view.render(
        "reports_presence.html", unit=unit, online=online, state=state, events=events,
        online_next=view.url("/console/presence", unit=shown or "",
                             online_cursor=online.next_cursor)
        if online and online.next_cursor else None,
        history_next=view.url("/console/presence", unit=shown or "",
                              cursor=events.next_cursor)
        if events and events.next_cursor else None)
