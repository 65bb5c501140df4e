"""What the API edge records after a call (`api/http.py`): the admin action in the audit
log, a refused call in its unit's error log (docs/audit.md, docs/reports.md).

Only admin actions and failures are written: the success path of an exchange call reads
and writes nothing here. These lines are written after the answer is decided, not in the
transaction of the change: a failure to write one is logged (route, status, request id;
never a secret) and the caller still gets the answer the change earned. An admin change
also leaves its own history where it has one (a unit's history, `actor` included).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chalicelib.domain import identifiers, keys
from chalicelib.domain.errors import InvalidRequestError, LgspError
from chalicelib.domain.logs import (
    action_of,
    audited,
    client_request_id,
    outcome_of,
    refusal_kind,
)
from chalicelib.domain.signatures import Caller
from chalicelib.services.auth import SignatureRefusedError
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.api")


def after_call(deps: Deps, method: str, path: str, *, caller: Caller | None,
               params: Mapping[str, str], status: int, code: str | None,
               refused: LgspError | None, headers: Mapping[str, str],
               request_id: str | None) -> None:
    """Record the call if it is an admin action or a refusal; never raises."""
    try:
        _record(deps, method, path, caller=caller, params=params, status=status, code=code,
                refused=refused, headers=headers, request_id=request_id)
    except Exception:  # a lost log line must not turn the call's answer into an error
        log.exception("could not record %s %s (status %s, request %s) in the audit or "
                      "error log", method, path, status, request_id)


def _record(deps: Deps, method: str, path: str, *, caller: Caller | None,
            params: Mapping[str, str], status: int, code: str | None,
            refused: LgspError | None, headers: Mapping[str, str],
            request_id: str | None) -> None:
    route, own_id = action_of(method, path), client_request_id(headers)
    if caller is not None and audited(method, path, person=caller.person is not None):
        from chalicelib.services import audit_log
        audit_log.record(deps, caller, route, unit=_acted_on(deps, caller, path, params),
                         target=params, outcome=outcome_of(status), status=status,
                         code=code, request_id=request_id, client_request_id=own_id)
    if refused is None or not 400 <= status < 500:
        return
    from chalicelib.services import error_log
    if caller is not None:
        unit, app, kind, unverified = (caller.unit, caller.app,
                                       refusal_kind(route, refused.code), False)
    elif isinstance(refused, SignatureRefusedError):
        owner = error_log.key_owner(deps, refused.key_id)
        if owner is None:  # a key never issued writes nothing anywhere
            return
        (unit, app), kind, unverified = owner, "refused", not refused.verified
    else:
        return
    error_log.record_refusal(deps, unit, kind=kind, app=app, route=route, status=status,
                             code=refused.code, message=refused.message,
                             request_id=request_id, client_request_id=own_id,
                             unverified=unverified, message_id=params.get("message_id"))


def _acted_on(deps: Deps, caller: Caller, path: str, params: Mapping[str, str]) -> str:
    """The unit an admin action is on: the route's unit code, the unit of the app or
    joining request it names, else the caller's own."""
    if "code" in params:
        try:
            identifiers.parse(params["code"])
        except InvalidRequestError:
            return caller.unit
        return params["code"]
    named = None
    if "app_id" in params:
        named = keys.app(params["app_id"])
    elif "id" in params and path.startswith("/v1/admin/requests/"):
        named = keys.join_request(params["id"])
    item = deps.table.get(*named) if named else None
    return str(item["unit"]) if item and item.get("unit") else caller.unit
