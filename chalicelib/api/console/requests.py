"""The request queue (forms 01-13, R-OPS-1..3): the list, a request with its history and
due date, the operators' decision, and the answer letters as Word documents.

Operators see every unit's requests, open ones by due time (overdue first), then drafts,
then the answered; a unit admin sees their own unit's (the services decide who sees what:
another unit's request is 404, as if it did not exist). What a decision shows once (an
HMAC secret, an SSO client secret, a set-password link) is on the decision's own answer
page only, never stored, never shown again. Filing, completing and withdrawing are in
`requests_filing.py`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.api.console.base import OPERATOR, View, console_route, nav_item
from chalicelib.api.console.requests_fields import form_of
from chalicelib.domain import join_states as states
from chalicelib.domain.errors import InvalidRequestError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from chalicelib.domain import join_requests as jr

ROOT = "/console/requests"
PAGE_SIZE = 50
GROUP_STATES = {"submitted": (states.SUBMITTED,), "draft": (states.DRAFT,),
                "closed": states.CLOSED}
DONE_NOTICES = {"refused": "refused_notice", "withdrawn": "withdrawn_notice",
                "saved": "saved_draft", "draft": "filed_draft"}

nav_item(ROOT, "nav_requests", None)


def day_of(view: View) -> Any:
    """A province day (`YYYY-MM-DD`) as people read it: 18/11/2026 in Vietnamese."""

    def shown(value: str | None) -> str:
        if not value:
            return ""
        return date.fromisoformat(value).strftime("%d/%m/%Y") if view.page.lang == "vi" \
            else value

    return shown


def _listed(view: View, state: str, unit: str, cursor: str | None) -> jr.RequestList:
    """Operators: every unit's list, narrowed by state by the service; one unit's list (an
    operator's filter, a unit admin's own) is narrowed here, page by page."""
    from chalicelib.services import join_requests
    if state and state not in states.LIST_FILTERS:
        raise InvalidRequestError("state must be submitted, draft or closed.",
                                  code="invalid_state")
    if view.operator and not unit:
        return join_requests.list_requests(view.deps, view.caller, unit=None,
                                           state=state or None, limit=PAGE_SIZE, cursor=cursor)
    listed = join_requests.list_requests(view.deps, view.caller,
                                         unit=unit if view.operator else None, state=None,
                                         limit=PAGE_SIZE, cursor=cursor)
    if state:
        listed.items = [r for r in listed.items if r.state in GROUP_STATES[state]]
    return listed


@console_route(ROOT, ["GET"], summary="The request queue (operators: every unit's; a unit "
               "admin: their unit's)")
def queue(view: View) -> Response:
    state, unit = view.arg("state"), view.arg("unit").strip()
    listed = _listed(view, state, unit, view.arg("cursor") or None)
    more = view.url(ROOT, state=state, unit=unit, cursor=listed.next_cursor or "") \
        if listed.next_cursor else None
    return view.render("requests_list.html", items=listed.items, state=state, unit=unit,
                       more=more, filters=tuple(states.LIST_FILTERS), day=day_of(view),
                       may_file=view.operator or view.unit_admin)


def letter_forms(request: jr.RequestView) -> list[str]:
    """The letters a decided request has: the answer, and the minutes if approved."""
    from chalicelib.domain.join_forms import KINDS
    if request.state not in states.ANSWERED:
        return []
    info = KINDS[request.kind]
    return [info.answer] + ([info.minutes] if info.minutes and request.state == states.APPROVED
                            else [])


def render_detail(view: View, request: jr.RequestView, *, status: int = 200,
                  error: str | None = None, posted: dict[str, str] | None = None
                  ) -> Response:
    from chalicelib.domain.join_forms import KINDS
    done = DONE_NOTICES.get(view.arg("done"))
    if view.arg("done") == "submitted":
        notice: str | None = f"{view.t['filed_submitted']} {day_of(view)(request.due_date)}"
    else:
        notice = view.t[done] if done else None
    return view.render(
        "requests_detail.html", status=status, error=error, notice=notice, r=request,
        groups=form_of(request.kind), letters=letter_forms(request), day=day_of(view),
        minutes=bool(KINDS[request.kind].minutes), posted=posted or {},
        may_change=not view.operator or request.unit == view.unit)


@console_route(ROOT + "/{request_id}", ["GET"], summary="A request: its fields, due date, "
               "history, the decision and the answer letters")
def detail(view: View, request_id: str) -> Response:
    from chalicelib.services import join_requests
    return render_detail(view, join_requests.get_request(view.deps, view.caller, request_id))


def _person(view: View, prefix: str, parts: tuple[str, ...]) -> dict[str, str] | None:
    given = {p: view.field(f"{prefix}_{p}").strip() for p in parts}
    given = {k: v for k, v in given.items() if v}
    return given or None


def _answer_fields(view: View) -> dict[str, Any]:
    fields = {name: view.field(name).strip() or None
              for name in ("answer_number", "signer_name", "signer_title")}
    return {k: v for k, v in fields.items() if v}


def _refill(view: View) -> dict[str, str]:
    return {name: view.field(name) for name in view.page.form if name != "csrf"}


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


@console_route(ROOT + "/{request_id}/approve", ["POST"], who=OPERATOR,
               summary="Approve a request and carry it out (operators); shows once what "
               "the decision hands over")
def approve(view: View, request_id: str) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain import join_requests as jr
    from chalicelib.services import join_decisions, join_requests
    body: dict[str, Any] = {**_answer_fields(view),
                            "support_contact": _person(view, "support",
                                                       ("name", "phone", "mobile", "email")),
                            "handover_by": _person(view, "handover", ("name", "position")),
                            "note": view.field("note").strip() or None}
    try:
        answer_body = jr.ApproveBody.model_validate(
            {k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        request = join_requests.get_request(view.deps, view.caller, request_id)
        return render_detail(view, request, status=400, error=_problem(exc),
                             posted=_refill(view))
    answer = join_decisions.approve(view.deps, view.caller, request_id, answer_body,
                                    issuer=view.page.issuer)
    return view.render("requests_result.html", a=answer, r=answer.request,
                       letters=letter_forms(answer.request), day=day_of(view))


@console_route(ROOT + "/{request_id}/refuse", ["POST"], who=OPERATOR,
               summary="Refuse a request with a reason (operators)")
def refuse(view: View, request_id: str) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain import join_requests as jr
    from chalicelib.services import join_decisions, join_requests
    try:
        body = jr.RefuseBody.model_validate({**_answer_fields(view),
                                             "reason": view.field("reason")})
        join_decisions.refuse(view.deps, view.caller, request_id, body)
    except (ValidationError, InvalidRequestError) as exc:
        message = _problem(exc) if isinstance(exc, ValidationError) else exc.message
        request = join_requests.get_request(view.deps, view.caller, request_id)
        return render_detail(view, request, status=400, error=message,
                             posted=_refill(view))
    return view.redirect(f"{ROOT}/{request_id}", done="refused")


LETTER = ROOT + "/{request_id}/letter"


@console_route(LETTER, ["GET"], summary="The answer letter (or the handover minutes, "
               "`form`) as a Word document", media_type=states.DOCX_CONTENT_TYPE)
def letter(view: View, request_id: str) -> Response:
    from chalicelib.services import join_requests
    body, name = join_requests.letter(view.deps, view.caller, request_id,
                                      view.arg("form") or None)
    return view.attachment(body, name, states.DOCX_CONTENT_TYPE)
