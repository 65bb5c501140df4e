"""The deployment's bootstrap: the first operator of a fresh hub (R-JOIN-2, R-OPS-3).

Operators (the province's IT department) issue every other unit's keys, so a fresh
deployment needs one created outside the API: once per deployment, this registers the IT
department's unit (or takes it as it is if it exists), flags it as an operator unit in the
table (no redeploy to change `LGSP_OPERATOR_UNITS`), creates its first app and returns
that app's credentials, shown once. All of it is one transaction with a marker item that
must not exist, so two bootstraps racing make one operator, and a second is refused.
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import ConflictError, TransactionConflictError
from chalicelib.domain.operator_schemas import BootstrapOperator, OperatorCredentials
from chalicelib.domain.ports import Check, Condition, Item, Put, TransactOp
from chalicelib.domain.times import iso
from chalicelib.services import registry, units
from chalicelib.services.deps import Deps

ACTOR = "bootstrap"


def _already(marker: Item) -> ConflictError:
    return ConflictError(
        f"This deployment was bootstrapped on {iso(int(marker['at']))} (operator unit "
        f"{marker['unit']}, app {marker['app']}); a bootstrap runs once. Further operator "
        f"apps are created by that operator through the API.", code="already_bootstrapped",
        unit=marker["unit"])


def bootstrap_marker(deps: Deps) -> Item | None:
    """The bootstrap's record (unit, app, at), or None on a deployment not bootstrapped."""
    return deps.table.get(*keys.BOOTSTRAP_MARKER)


def _unit_ops(deps: Deps, body: BootstrapOperator) -> list[TransactOp]:
    """Register the unit, or take the active one that exists as it is."""
    unit = units.get_unit(deps, body.unit)
    if unit is None:
        item = units.new_unit_item(deps, body.unit, body.name)
        return [*units.creation_ops(deps, item, actor=ACTOR), units.bump_directory()]
    if unit["status"] != units.ACTIVE:
        raise ConflictError(f"Unit {body.unit} is {unit['status']}: an operator unit must "
                            f"be active.", code="unit_not_active", unit=body.unit)
    return [Check(unit["pk"], unit["sk"], Condition(equals={"status": units.ACTIVE}))]


def bootstrap_operator(deps: Deps, body: BootstrapOperator) -> OperatorCredentials:
    """Create the deployment's first operator; refused (`already_bootstrapped`) once done."""
    marker = bootstrap_marker(deps)
    if marker is not None:
        raise _already(marker)
    unit_ops = _unit_ops(deps, body)
    issued, _, app_ops = registry.app_ops(deps, body.unit, body.app_name)
    now = deps.clock.now()
    pk, sk = keys.BOOTSTRAP_MARKER
    op_pk, op_sk = keys.operator(body.unit)
    try:
        deps.table.transact([
            Put({"pk": pk, "sk": sk, "kind": "bootstrap", "unit": body.unit,
                 "app": issued.app, "at": now}, Condition(exists=False)),
            Put({"pk": op_pk, "sk": op_sk, "kind": "operator_unit", "unit": body.unit,
                 "since": now, "by": ACTOR}),
            *unit_ops, *app_ops])
    except TransactionConflictError as exc:
        marker = bootstrap_marker(deps)
        if marker is not None:
            raise _already(marker) from exc
        raise ConflictError("The unit changed meanwhile; run the bootstrap again.",
                            code="conflict") from exc
    assert issued.secret_key is not None  # an HMAC key: the hub generated its secret
    return OperatorCredentials(unit=issued.unit, app=issued.app, access_key=issued.access_key,
                               secret_key=issued.secret_key, algorithm=issued.algorithm)
