"""Joining and leaving requests, the unit's side and the reading (R-OPS-1..3).

A unit admin files a request for its own unit (operators for any unit); it is complete at
once when no required field is missing (`submitted`, with its due date, R-OPS-2), else a
`draft` that `complete` finishes. Operators decide in `services/join_decisions.py`.

Who sees what: operators everything; a unit admin its own unit's requests only; anyone
else's request id answers 404 `request_not_found`, exactly like an id that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from chalicelib.adapters import letters
from chalicelib.domain import (
    calendar,
    join_requests as jr,
    keys,
    oidc as oidc_rules,
    people as people_rules,
)
from chalicelib.domain.algorithms import public_key_pem
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.join_forms import (
    KINDS,
    SSO_KINDS,
    missing_fields,
    sso_url_problem,
    validate_fields,
)
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp
from chalicelib.domain.signatures import Caller
from chalicelib.services import roles, units
from chalicelib.services.deps import Deps

_ID = re.compile(jr.REQUEST_ID)


def not_found(request_id: str) -> NotFoundError:
    return NotFoundError(f"No request {request_id}.", code="request_not_found")


def invalid_fields(exc: ValidationError) -> InvalidRequestError:
    """The first problem, named by its place in the body (`fields.applicant.email`)."""
    first = exc.errors()[0]
    where = ".".join(["fields", *(str(p) for p in first["loc"])])
    return InvalidRequestError(f"{where}: {first['msg']}", code="validation_failed")


def history_entry(deps: Deps, caller: Caller, event: str, **detail: Any) -> Item:
    entry = {"at": deps.clock.now(), "event": event, "app": caller.app, "unit": caller.unit,
             "detail": detail}
    return {**entry, "person": caller.person} if caller.person else entry


def _start_clock(deps: Deps, item: Item) -> Item:
    """Complete now: the R-OPS-2 clock starts; due after N working days, province time."""
    now = deps.clock.now()
    cal = calendar.work_calendar(deps.settings.public_holidays)
    day, due_at = calendar.answer_due(now, deps.settings.request_due_working_days, cal)
    return {**item, "state": jr.SUBMITTED, "missing": [], "completed_at": now,
            "due_date": day.isoformat(), "due_at": due_at}


def _with_fields(deps: Deps, item: Item, fields: dict[str, Any]) -> Item:
    missing = missing_fields(item["request_kind"], fields)
    item = {**item, "state": jr.DRAFT, "fields": fields, "missing": missing,
            "title": jr.title_of(item["request_kind"], fields)}
    return item if missing else _start_clock(deps, item)


def _check_references(deps: Deps, kind: str, unit: str, fields: dict[str, Any]) -> None:
    """Before anything is stored: an RSA public key parses (a private key given by mistake
    is refused, never kept); a cancellation names an app of the filing unit (another
    unit's app is unknown); the SSO forms' URLs, keys, app and user name hold."""
    if fields.get("public_key"):
        public_key_pem(fields["public_key"])
    if kind in SSO_KINDS:
        check_sso_fields(deps, unit, fields)
    app_id = fields.get("app_id")
    if app_id is None:
        return
    app = deps.table.get(*keys.app(app_id))
    if app is None or app["unit"] != unit:
        raise NotFoundError(f"Unit {unit} has no app {app_id}.", code="app_not_found")


def check_sso_fields(deps: Deps, unit: str, fields: dict[str, Any]) -> None:
    """An SSO form's fields as far as they are given (at filing, at each change, and again
    at approval): every URL registrable (400 `invalid_sso_url` naming the field), the
    JWKS usable (400 `invalid_jwks`), the app named one of the unit's still active (404
    `sso_app_not_found`, 409 `sso_app_disabled`), the user name free (409
    `person_exists`)."""
    bad = sso_url_problem(fields, allow_http=deps.settings.sso_allow_http_backchannel)
    if bad:
        raise InvalidRequestError(f"fields.{bad[0]}: {bad[1]}.", code="invalid_sso_url",
                                  field=f"fields.{bad[0]}")
    if fields.get("jwks"):
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet
        try:
            KeySet.import_key_set(fields["jwks"])
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidRequestError(f"fields.jwks: not a usable set of public keys "
                                      f"({exc}).", code="invalid_jwks") from exc
    if fields.get("client_id"):
        from chalicelib.services import oidc_clients
        client = oidc_clients.require(deps, unit, fields["client_id"])
        if client["status"] != oidc_rules.ACTIVE:
            raise ConflictError(f"The SSO app {client['client_id']} is already cancelled.",
                                code="sso_app_disabled", status=client["status"])
    if fields.get("username"):
        from chalicelib.services import people
        account = people_rules.account(fields["username"], unit,
                                       deps.settings.province_domain)
        if people.load(deps, account) is not None:
            raise ConflictError(f"{account} already exists.", code="person_exists",
                                account=account)


def file_request(deps: Deps, caller: Caller, kind: str, unit: str | None,
                 fields: dict[str, Any]) -> jr.RequestView:
    """File a request for the caller's unit (operators: for `unit`)."""
    unit = unit or caller.unit
    roles.require_unit_admin(deps, caller, unit)
    units.require_unit(deps, unit)
    try:
        stored = validate_fields(kind, fields)
    except ValidationError as exc:
        raise invalid_fields(exc) from exc
    _check_references(deps, kind, unit, stored)
    now, request_id = deps.clock.now(), deps.ids.new_id()
    pk, sk = keys.join_request(request_id)
    item = _with_fields(deps, {
        "pk": pk, "sk": sk, "kind": "join_request", "id": request_id, "request_kind": kind,
        "unit": unit, "filed_by": caller.actor, "created_at": now, "version": 1,
        "history": [history_entry(deps, caller, "filed")]}, stored)
    if item["state"] == jr.SUBMITTED:
        item["history"].append(history_entry(deps, caller, "completed"))
    deps.table.transact([Put(item, Condition(exists=False)),
                         Put(jr.summary_item(item, *keys.unit_join_request(unit, request_id))),
                         Put(jr.summary_item(item, *jr.index_key(item)))])
    return jr.view(item, now)


def load(deps: Deps, caller: Caller, request_id: str) -> Item:
    """The request if the caller may see it: an operator, or an admin of its unit. Another
    unit's request is 404, like a missing one; an ordinary app of the unit is 403."""
    item = deps.table.get(*keys.join_request(request_id)) if _ID.match(request_id) else None
    if item is None:
        raise not_found(request_id)
    if roles.is_operator(deps, caller):
        return item
    if item["unit"] != caller.unit:
        raise not_found(request_id)
    roles.require_unit_admin(deps, caller, item["unit"])
    return item


def transition_ops(old: Item, new: Item) -> list[TransactOp]:
    """Write `new` over `old` only if nobody changed it meanwhile, with both list copies."""
    new = {**new, "version": int(old["version"]) + 1}
    ops: list[TransactOp] = [
        Put(new, Condition(equals={"version": old["version"], "state": old["state"]})),
        Put(jr.summary_item(new, *keys.unit_join_request(new["unit"], new["id"])))]
    old_index, new_index = jr.index_key(old), jr.index_key(new)
    if old_index != new_index:
        ops.append(Delete(*old_index))
    ops.append(Put(jr.summary_item(new, *new_index)))
    return ops


def changed_meanwhile() -> ConflictError:
    return ConflictError("The request changed at the same time; read it and try again.",
                         code="request_conflict")


def save(deps: Deps, old: Item, new: Item, extra: list[TransactOp] | None = None) -> Item:
    try:
        deps.table.transact([*transition_ops(old, new), *(extra or [])])
    except TransactionConflictError as exc:
        raise changed_meanwhile() from exc
    return {**new, "version": int(old["version"]) + 1}


def get_request(deps: Deps, caller: Caller, request_id: str) -> jr.RequestView:
    return jr.view(load(deps, caller, request_id), deps.clock.now())


def complete_request(deps: Deps, caller: Caller, request_id: str,
                     changes: dict[str, Any]) -> jr.RequestView:
    """Set fields of a draft (null removes one); complete once nothing is missing."""
    item = load(deps, caller, request_id)
    if item["state"] != jr.DRAFT:
        raise ConflictError(f"The request is {item['state']}; only a draft can be changed.",
                            code="request_not_draft", state=item["state"])
    merged = {k: v for k, v in {**item["fields"], **changes}.items() if v is not None}
    try:
        stored = validate_fields(item["request_kind"], merged)
    except ValidationError as exc:
        raise invalid_fields(exc) from exc
    _check_references(deps, item["request_kind"], item["unit"], stored)
    new = _with_fields(deps, item, stored)
    event = "completed" if new["state"] == jr.SUBMITTED else "changed"
    new["history"] = [*item["history"],
                      history_entry(deps, caller, event, fields=sorted(changes))]
    return jr.view(save(deps, item, new), deps.clock.now())


def withdraw_request(deps: Deps, caller: Caller, request_id: str) -> jr.RequestView:
    """The unit takes back a request not answered yet."""
    item = load(deps, caller, request_id)
    if item["state"] not in jr.OPEN:
        raise ConflictError(f"The request is already {item['state']}.",
                            code="request_closed", state=item["state"])
    now = deps.clock.now()
    new = {**item, "state": jr.WITHDRAWN, "answered_at": now, "answered_by": caller.actor,
           "history": [*item["history"], history_entry(deps, caller, "withdrawn")]}
    return jr.view(save(deps, item, new), now)


def list_requests(deps: Deps, caller: Caller, *, unit: str | None, state: str | None,
                  limit: int, cursor: str | None) -> jr.RequestList:
    """Operators: every request, open ones by due time (overdue first), then drafts, then
    the answered newest first (`state` narrows to `submitted`, `draft` or `closed`), or one
    unit's. Unit admins: their own unit's, newest first."""
    now = deps.clock.now()
    if state is not None and state not in jr.LIST_FILTERS:
        raise InvalidRequestError("state must be submitted, draft or closed.",
                                  code="invalid_state")
    if roles.is_operator(deps, caller) and unit is None:
        page = deps.table.query(keys.JOIN_REQUESTS, prefix=jr.LIST_FILTERS.get(state or ""),
                                limit=limit, cursor=cursor)
    else:
        unit = unit or caller.unit
        if not roles.is_operator(deps, caller) and unit != caller.unit:
            raise ForbiddenError("A unit admin sees only its own unit's requests.",
                                 code="forbidden")
        roles.require_unit_admin(deps, caller, unit)
        if state is not None:
            raise InvalidRequestError("state narrows the operators' list of every unit's "
                                      "requests; a unit's list (unit, or a unit admin's "
                                      "own) has no state filter.", code="invalid_request")
        page = deps.table.query(keys.unit_join_request(unit, "")[0], limit=limit, cursor=cursor,
                                descending=True)
    return jr.RequestList(items=[jr.summary(i, now) for i in page.items],
                          next_cursor=page.cursor)


def _unit_or_empty(deps: Deps, code: str | None) -> Item:
    return (units.get_unit(deps, code) if code else None) or {}


def letter(deps: Deps, caller: Caller, request_id: str, form: str | None
           ) -> tuple[bytes, str]:
    """The answer as a DOCX (the answer form, or the handover minutes with `form`), and
    its file name. Only for answered requests; never carries a secret."""
    item = load(deps, caller, request_id)
    if item["state"] not in jr.ANSWERED:
        raise ConflictError("There is no answer yet.", code="not_answered",
                            state=item["state"])
    info = KINDS[item["request_kind"]]
    forms = {info.answer} | ({info.minutes} if info.minutes else set())
    chosen = form or info.answer
    if chosen not in forms or (item["state"] == jr.REFUSED and chosen != info.answer):
        raise NotFoundError(f"This request has no form {chosen}.", code="letter_not_found")
    unit = units.get_unit(deps, item["unit"]) or {"code": item["unit"], "name": item["unit"]}
    operator = _unit_or_empty(deps, item.get("answered_by_unit"))
    authority = _unit_or_empty(deps, operator.get("parent")).get("name")
    data = letters.LetterData(request=item, unit=unit, operator=operator,
                              authority=authority, form=chosen)
    return letters.render(data), f"mau-{chosen}-{item['id']}.docx"
