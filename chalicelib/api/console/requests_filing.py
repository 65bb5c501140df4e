"""Filing a request online (forms 01, 03, 06, 08, 09, 12; R-OPS-1, R-OPS-2): pick the form,
fill in the page generated from its fields, save a draft or submit; complete a draft;
withdraw a request not answered yet.

The service decides the state: a request with every required field is submitted at once
and its answer clock starts (its due date is shown), else it stays a draft. "Submit" with
a required field empty files nothing and names what is missing; a value the service
refuses is shown on the form, the input named, nothing filed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.api.console.base import UNIT_ADMIN, View, console_route
from chalicelib.api.console.requests import ROOT
from chalicelib.api.console.requests_fields import (
    FILED_ONLINE,
    FormProblem,
    fields_from,
    form_of,
    label_of,
    values_of,
    where,
)
from chalicelib.domain import join_states as states
from chalicelib.domain.errors import ConflictError, LgspError

if TYPE_CHECKING:
    from chalicelib.domain import join_requests as jr


def _form(view: View, kind: str, action: str, *, values: dict[str, Any], status: int = 200,
          error: str | None = None, bad: str | None = None, ask_unit: bool = False
          ) -> Response:
    return view.render("requests_form.html", status=status, kind=kind, groups=form_of(kind),
                       values=values, action=view.url(action), error=error, bad=bad,
                       ask_unit=ask_unit)


def _posted(view: View, kind: str) -> dict[str, Any]:
    """The form as posted, to fill it in again (an unticked box is false, not default)."""
    values: dict[str, Any] = {name: view.field(name) for name in view.page.form}
    return values | {i.name: i.name in view.page.form for g in form_of(kind)
                     for i in g.inputs if i.widget == "checkbox"}


def _missing(view: View, kind: str, missing: list[str]) -> str:
    names = [label_of(kind, name, view.t) or name for name in missing]
    return f"{view.t['missing_on_submit']} {'; '.join(names)}."


def _refused(view: View, kind: str, err: LgspError) -> tuple[str, str | None]:
    """The service's message, with the input it names in the page's words."""
    name = where(err.message) or (str(err.details.get("field", "")).removeprefix("fields.")
                                  or None)
    label = label_of(kind, name, view.t)
    if not label:
        return err.message, name
    said = err.message.split(": ", 1)[1] if where(err.message) else err.message
    return f"{view.t['field_problem']} «{label}»: {said}", name


def _read(view: View, kind: str, action: str, *, with_empty: bool, ask_unit: bool
          ) -> tuple[dict[str, Any] | None, Response | None]:
    """The posted fields, or the form again saying why they cannot be taken."""
    from chalicelib.domain.join_forms import missing_fields
    values = _posted(view, kind)
    try:
        fields = fields_from(kind, view.page.form, with_empty=with_empty)
    except FormProblem as problem:
        label = label_of(kind, problem.name, view.t)
        return None, _form(view, kind, action, values=values, status=400, bad=problem.name,
                           error=f"{view.t['field_problem']} «{label}»: {problem}",
                           ask_unit=ask_unit)
    if view.field("action") == "submit":
        missing = missing_fields(kind, {k: v for k, v in fields.items() if v is not None})
        if missing:
            return None, _form(view, kind, action, values=values, status=400,
                               error=_missing(view, kind, missing), bad=missing[0],
                               ask_unit=ask_unit)
    return fields, None


def _done(request: jr.RequestView, *, draft: str) -> str:
    return "submitted" if request.state == states.SUBMITTED else draft


@console_route(ROOT + "/new", ["GET"], who=UNIT_ADMIN,
               summary="File a request: pick the form, then fill it in")
def new(view: View) -> Response:
    kind = view.arg("kind")
    if kind in FILED_ONLINE:
        return _form(view, kind, ROOT + "/new", values={}, ask_unit=view.operator)
    return view.render("requests_new.html", kinds=FILED_ONLINE,
                       status=400 if kind else 200)


@console_route(ROOT + "/new", ["POST"], who=UNIT_ADMIN,
               summary="File a request (a draft, or submitted when complete)")
def file(view: View) -> Response:
    from chalicelib.services import join_requests
    kind = view.field("kind")
    if kind not in FILED_ONLINE:
        return view.render("requests_new.html", kinds=FILED_ONLINE, status=400)
    fields, again = _read(view, kind, ROOT + "/new", with_empty=False,
                          ask_unit=view.operator)
    if fields is None:
        assert again is not None
        return again
    unit = view.field("unit").strip() if view.operator else None
    try:
        request = join_requests.file_request(view.deps, view.caller, kind, unit or None,
                                             fields)
    except LgspError as err:
        message, bad = _refused(view, kind, err)
        return _form(view, kind, ROOT + "/new", values=_posted(view, kind), status=err.status,
                     error=message, bad=bad, ask_unit=view.operator)
    return view.redirect(f"{ROOT}/{request.id}", done=_done(request, draft="draft"))


def _draft(view: View, request_id: str) -> jr.RequestView:
    from chalicelib.services import join_requests
    request = join_requests.get_request(view.deps, view.caller, request_id)
    if request.state != states.DRAFT:
        raise ConflictError(f"The request is {request.state}; only a draft can be changed.",
                            code="request_not_draft")
    return request


@console_route(ROOT + "/{request_id}/edit", ["GET"], who=UNIT_ADMIN,
               summary="Complete a draft: its form, filled in")
def edit(view: View, request_id: str) -> Response:
    request = _draft(view, request_id)
    return _form(view, request.kind, f"{ROOT}/{request_id}/edit",
                 values=values_of(request.fields))


@console_route(ROOT + "/{request_id}/edit", ["POST"], who=UNIT_ADMIN,
               summary="Save a draft's fields; submitted once complete")
def save(view: View, request_id: str) -> Response:
    from chalicelib.services import join_requests
    request = _draft(view, request_id)
    action = f"{ROOT}/{request_id}/edit"
    fields, again = _read(view, request.kind, action, with_empty=True, ask_unit=False)
    if fields is None:
        assert again is not None
        return again
    try:
        saved = join_requests.complete_request(view.deps, view.caller, request_id, fields)
    except LgspError as err:
        if isinstance(err, ConflictError) and err.code in ("request_not_draft",
                                                             "request_conflict"):
            raise
        message, bad = _refused(view, request.kind, err)
        return _form(view, request.kind, action, values=_posted(view, request.kind),
                     status=err.status, error=message, bad=bad)
    return view.redirect(f"{ROOT}/{request_id}", done=_done(saved, draft="saved"))


@console_route(ROOT + "/{request_id}/withdraw", ["POST"], who=UNIT_ADMIN,
               summary="Withdraw a request not answered yet")
def withdraw(view: View, request_id: str) -> Response:
    from chalicelib.services import join_requests
    join_requests.withdraw_request(view.deps, view.caller, request_id)
    return view.redirect(f"{ROOT}/{request_id}", done="withdrawn")
