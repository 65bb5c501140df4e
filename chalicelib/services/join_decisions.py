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
- `sso_register_app` (form 08): the SSO client is created in the decision's transaction
  (`oidc_clients.new_client`); its secret (`client_secret_basic`) is in this one answer
  with the discovery URL. Naming `client_id`, the request changes that client's URLs
  instead (`oidc_clients.amend_op`), in the same transaction.
- `sso_admin_account` (form 09): a person of the unit with role `sso_admin`
  (`people.new_person`), in the decision's transaction; the one-time link to set their
  password is in this one answer, never in the request or its letters.
- `sso_cancel_app` (form 12): the client becomes `disabled` in the decision's
  transaction — from that instant the token endpoint, `/sso/authorize` and every check of
  an access token refuse it — then everyone signed in to it is logged out of it, the app
  told by back-channel logout (`sso_sessions.end_client`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import join_requests as jr, keys, people as people_rules
from chalicelib.domain.algorithms import HMAC_SHA256
from chalicelib.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from chalicelib.domain.join_forms import CREATES_APP
from chalicelib.domain.ports import Condition, Item, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.services import (
    access_keys,
    oidc_clients,
    people,
    registry,
    roles,
    sso_sessions,
    units,
)
from chalicelib.services.deps import Deps
from chalicelib.services.join_requests import check_sso_fields, history_entry, load, save

CANCELLED = "cancelled"


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
    """The app stops working at once: authentication accepts only active apps (on other
    hosts within `LGSP_AUTH_CACHE_SECONDS`)."""
    deps.auth_cache.forget()
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


def _sso_urls(fields: dict[str, Any]) -> dict[str, Any]:
    """The URLs an approved form 08 registers, in full."""
    return {"redirect_uris": list(fields["redirect_uris"]),
            "post_logout_redirect_uris": list(fields.get("post_logout_redirect_uris") or []),
            "backchannel_logout_uri": fields.get("backchannel_logout_uri")}


def _approve_sso_register(deps: Deps, caller: Caller, item: Item, answer: dict[str, Any],
                          issuer: str) -> jr.ApprovalAnswer:
    """Form 08: a new SSO client, or the URLs of the unit's existing one changed."""
    fields, unit = item["fields"], item["unit"]
    urls = _sso_urls(fields)
    ops: list[TransactOp]
    if fields.get("client_id"):
        client = oidc_clients.require(deps, unit, fields["client_id"])
        ops, secret = [oidc_clients.amend_op(client, urls)], None
        client = {**client, **urls}
    else:
        created = oidc_clients.new_client(deps, unit, {**fields, **urls},
                                          request_id=item["id"])
        client, ops, secret = created.item, created.ops, created.secret
    sso = jr.SsoRegistration(
        discovery_url=f"{issuer}/.well-known/openid-configuration",
        client_id=client["client_id"], client_secret=secret,
        client_type=client["client_type"],
        token_endpoint_auth_method=client["token_endpoint_auth_method"],
        changed=bool(fields.get("client_id")), **urls)
    result = sso.model_dump(mode="json", exclude={"client_secret"})
    event = "sso_app_changed" if sso.changed else "sso_app_registered"
    history = units.history_put(deps, unit, event, actor=caller.actor, detail={
        "client_id": sso.client_id, "request": item["id"], **urls})
    saved = save(deps, item, _decided(deps, caller, item, jr.APPROVED, answer, result=result),
                 extra=[*ops, history])
    if sso.changed:
        note = f"The URLs of SSO app {sso.client_id} are changed from now on."
    elif secret:
        note = "Hand the client secret over to the unit now: it is shown only in this answer."
    else:
        note = f"SSO app {sso.client_id} registered; it has no client secret."
    return jr.ApprovalAnswer(request=jr.view(saved, deps.clock.now()), sso=sso, note=note)


def _approve_sso_admin(deps: Deps, caller: Caller, item: Item, answer: dict[str, Any],
                       issuer: str) -> jr.ApprovalAnswer:
    """Form 09: a person of the unit with role `sso_admin`, and their one-time link."""
    fields = item["fields"]
    admin = fields["admin"]
    new = people.new_person(deps, item["unit"], username=fields["username"],
                            name=admin["name"], email=admin.get("email"),
                            roles=[people_rules.SSO_ADMIN], actor=caller.actor,
                            issuer=issuer, detail={"request": item["id"]})
    result = {"account": new.item["account"], "username": fields["username"],
              "roles": [people_rules.SSO_ADMIN]}
    saved = save(deps, item, _decided(deps, caller, item, jr.APPROVED, answer, result=result),
                 extra=new.ops)
    return jr.ApprovalAnswer(
        request=jr.view(saved, deps.clock.now()), account=new.answer,
        note="Hand the one-time link over to the SSO admin now: it is shown only in this "
             "answer (a unit admin or operator can issue another with POST "
             ".../people/{username}/reset).")


def _approve_sso_cancel(deps: Deps, caller: Caller, item: Item, answer: dict[str, Any],
                        issuer: str) -> jr.ApprovalAnswer:
    """Form 12: the client disabled with the decision, then everyone logged out of it."""
    client = oidc_clients.require(deps, item["unit"], item["fields"]["client_id"])
    result = {"client_id": client["client_id"], "app_name": client.get("name")}
    new = _decided(deps, caller, item, jr.APPROVED, answer, result=result)
    history = units.history_put(deps, item["unit"], "sso_app_disabled", actor=caller.actor,
                                detail={"client_id": client["client_id"],
                                        "request": item["id"]})
    saved = save(deps, item, new, extra=[oidc_clients.disable_op(deps, client), history])
    ended = sso_sessions.end_client(deps, client["client_id"], issuer)
    return jr.ApprovalAnswer(request=jr.view(saved, deps.clock.now()),
                             note=f"SSO app {client['client_id']} disabled; {ended} "
                                  "session(s) logged out of it.")


_SSO_APPROVALS = {"sso_register_app": _approve_sso_register,
                  "sso_admin_account": _approve_sso_admin,
                  "sso_cancel_app": _approve_sso_cancel}


def approve(deps: Deps, caller: Caller, request_id: str, body: jr.ApproveBody, *,
            issuer: str) -> jr.ApprovalAnswer:
    """Approve a complete request and carry it out (operators only). `issuer` is the
    single sign-on's (`<public base>/sso`), for the SSO forms' answers."""
    roles.require_operator(deps, caller)
    item = load(deps, caller, request_id)
    _require_pending(item)
    answer = body.model_dump(mode="json", exclude_none=True)
    kind = item["request_kind"]
    if kind in CREATES_APP:
        return _approve_with_app(deps, caller, item, answer)
    if kind == "cancel_app":
        return _approve_cancel(deps, caller, item, answer)
    check_sso_fields(deps, item["unit"], item["fields"])  # URLs, app and name still hold
    return _SSO_APPROVALS[kind](deps, caller, item, answer, issuer)


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
