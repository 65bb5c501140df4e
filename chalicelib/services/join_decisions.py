"""Operators' decisions on joining and leaving requests (R-OPS-1, R-JOIN-2..4).

Only a `submitted` request can be decided, once: every decision is a conditional write on
the request's state and version, so of two operators approving at the same time one wins
and the other gets 409.

- `register_app`: `registry.create_app` makes the app and its key pair; an HMAC secret is
  in this one answer (for the operator to hand over, R-JOIN-2), never stored in clear,
  never in the request or its letter.
- `admin_account`: the same with role `unit_admin` (R-OPS-3).
- `cancel_app`: the app becomes `cancelled` in the decision's transaction — from that
  instant every key of it fails with 401 `key_revoked` — then each key is revoked with the
  app's own revocation (`services/keys.revoke_key`), one small transaction per key.
- SSO kinds: the decision is recorded; there is no SSO provider to configure yet.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import join_requests as jr
from chalicelib.domain import keys
from chalicelib.domain.algorithms import HMAC_SHA256
from chalicelib.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from chalicelib.domain.join_forms import CREATES_APP, SSO_KINDS
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.domain.signatures import Caller
from chalicelib.services import access_keys, registry, roles
from chalicelib.services.deps import Deps
from chalicelib.services.join_requests import history_entry, load, save

CANCELLED = "cancelled"
SSO_NOTE = ("Decision recorded. The province's SSO provider is not connected to the hub "
            "yet: configure the app in the SSO system by hand.")


def _require_pending(item: Item) -> None:
    if item["state"] == jr.SUBMITTED:
        return
    if item["state"] == jr.DRAFT:
        raise ConflictError("The request is incomplete: the unit must complete it first.",
                            code="request_incomplete", missing=item.get("missing") or [])
    raise ConflictError(f"The request is already {item['state']}.",
                        code="already_answered", state=item["state"])


def _decided(deps: Deps, caller: Caller, item: Item, state: str, answer: dict[str, Any],
             **extra: Any) -> Item:
    now = deps.clock.now()
    return {**item, **extra, "state": state, "answered_at": now, "answered_by": caller.actor,
            "answered_by_unit": caller.unit, "answer": answer,
            "history": [*item["history"], history_entry(deps, caller, state)]}


def _cancel_op(deps: Deps, app_id: str, unit: str) -> Update:
    """The app stops working at once: authentication accepts only active apps."""
    return Update(*keys.app(app_id), set={"status": CANCELLED,
                                                "cancelled_at": deps.clock.now()},
                  condition=Condition(equals={"unit": unit}))


def _revoke_keys(deps: Deps, caller: Caller, app_id: str, key_ids: list[str]) -> None:
    """Revoke each key of the app (two items per transaction, always bounded)."""
    for key_id in key_ids:
        try:
            access_keys.revoke_app_key(deps, caller, app_id, key_id)
        except (ConflictError, NotFoundError):
            continue  # changed meanwhile; the cancelled app already blocks the key


def _live_keys(deps: Deps, app_id: str) -> list[str]:
    return [link["key_id"] for link in access_keys.key_links(deps, app_id)
            if link["status"] != registry.REVOKED]


def _approve_with_app(deps: Deps, caller: Caller, item: Item,
                      answer: dict[str, Any]) -> jr.ApprovalAnswer:
    kind, fields = item["request_kind"], item["fields"]
    admin = fields.get("admin") or {}
    name = fields.get("system_name") or f"Quản trị {admin.get('name') or item['unit']}"
    issued = registry.create_app(deps, item["unit"], name,
                                 algorithm=fields.get("algorithm") or HMAC_SHA256,
                                 public_key=fields.get("public_key"), role=CREATES_APP[kind])
    result = {"app": issued.app, "access_key": issued.access_key,
              "algorithm": issued.algorithm, "role": CREATES_APP[kind]}
    new = _decided(deps, caller, item, jr.APPROVED, answer, result=result)
    try:
        saved = save(deps, item, new)
    except ConflictError:
        # Another decision won meanwhile: this app was never handed to anyone; retire it.
        deps.table.update(_cancel_op(deps, issued.app, issued.unit))
        _revoke_keys(deps, caller, issued.app, [issued.access_key])
        raise
    credentials = jr.AppCredentials(unit=issued.unit, app=issued.app,
                                           access_key=issued.access_key,
                                           algorithm=issued.algorithm,
                                           secret_key=issued.secret_key)
    note = ("Hand the secret key over to the unit now: it is shown only in this answer."
            if issued.secret_key else "RSA: the unit signs with its own private key.")
    return jr.ApprovalAnswer(request=jr.view(saved, deps.clock.now()),
                             credentials=credentials, note=note)


def _approve_cancel(deps: Deps, caller: Caller, item: Item,
                    answer: dict[str, Any]) -> jr.ApprovalAnswer:
    app_id, unit = item["fields"]["app_id"], item["unit"]
    app = deps.table.get(*keys.app(app_id))
    if app is None or app["unit"] != unit:
        raise NotFoundError(f"Unit {unit} has no app {app_id}.", code="app_not_found")
    live = _live_keys(deps, app_id)
    result = {"app": app_id, "app_name": app.get("name"), "revoked_keys": live}
    new = _decided(deps, caller, item, jr.APPROVED, answer, result=result)
    saved = save(deps, item, new, extra=[_cancel_op(deps, app_id, unit)])
    _revoke_keys(deps, caller, app_id, live)
    return jr.ApprovalAnswer(request=jr.view(saved, deps.clock.now()),
                             note=f"App {app_id} cancelled; {len(live)} key(s) revoked.")


def approve(deps: Deps, caller: Caller, request_id: str,
            body: jr.ApproveBody) -> jr.ApprovalAnswer:
    """Approve a complete request and carry it out (operators only)."""
    roles.require_operator(deps, caller)
    item = load(deps, caller, request_id)
    _require_pending(item)
    answer = body.model_dump(mode="json", exclude_none=True)
    kind = item["request_kind"]
    if kind in CREATES_APP:
        return _approve_with_app(deps, caller, item, answer)
    if kind == "cancel_app":
        return _approve_cancel(deps, caller, item, answer)
    assert kind in SSO_KINDS
    new = _decided(deps, caller, item, jr.APPROVED, answer, result={"sso": "recorded"})
    return jr.ApprovalAnswer(request=jr.view(save(deps, item, new), deps.clock.now()),
                             note=SSO_NOTE)


def refuse(deps: Deps, caller: Caller, request_id: str,
           body: jr.RefuseBody) -> jr.RequestView:
    """Refuse a complete request, saying why (operators only)."""
    roles.require_operator(deps, caller)
    reason = body.reason.strip()
    if not reason:
        raise InvalidRequestError("A refusal needs a reason.", code="reason_required")
    item = load(deps, caller, request_id)
    _require_pending(item)
    answer = body.model_dump(mode="json", exclude_none=True, exclude={"reason"})
    new = _decided(deps, caller, item, jr.REFUSED, answer, reason=reason)
    return jr.view(save(deps, item, new), deps.clock.now())
