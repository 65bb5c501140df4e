"""Who may do what beyond their own app's data (R-OPS-3).

- **operator**: the province's IT department: the apps of the units flagged as operator
  units in the table (`OPERATORS` / `{code}`, written by the deployment's bootstrap,
  `services/operators.py`) or listed in the setting `LGSP_OPERATOR_UNITS`;
- **unit admin**: an app registered with role `unit_admin` (the credentials a unit's IT
  staff receive with form 04): manages its own unit's apps, keys and requests, never
  another unit's;
- **app**: a machine that exchanges messages (the default role).

A person signed in through the hub's SSO (`Caller.person`) holds the same powers by their
roles (`domain/people.py`): `operator` (only in an operator unit), `unit_admin` of their
own unit; `sso_admin` manages their unit's SSO apps only (`may_manage_sso_apps`).
"""

from __future__ import annotations

from chalicelib.domain import keys, people as people_rules
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.signatures import Caller
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

APP, UNIT_ADMIN = "app", "unit_admin"
ROLES = (APP, UNIT_ADMIN)


def is_operator_unit(deps: Deps, code: str) -> bool:
    return code in deps.settings.operators or deps.table.get(*keys.operator(code)) is not None


def operator_units(deps: Deps) -> frozenset[str]:
    """Every operator unit: the setting's and the table's."""
    flagged = {item["unit"] for item in every_item(deps, keys.OPERATORS)}
    return deps.settings.operators | flagged


def is_operator(deps: Deps, caller: Caller) -> bool:
    if caller.person is not None and people_rules.OPERATOR not in caller.roles:
        return False
    return is_operator_unit(deps, caller.unit)


def require_operator(deps: Deps, caller: Caller) -> None:
    """Operators are the apps of the operator units (the IT department): flagged in the
    table by the bootstrap, or listed in `LGSP_OPERATOR_UNITS`."""
    if not is_operator(deps, caller):
        raise ForbiddenError("Only operator apps may do this.", code="forbidden")


def is_unit_admin(deps: Deps, caller: Caller) -> bool:
    if caller.person is not None:
        return people_rules.UNIT_ADMIN in caller.roles
    app = deps.table.get(*keys.app(caller.app))
    return app is not None and app.get("role") == UNIT_ADMIN


def require_unit_admin(deps: Deps, caller: Caller, unit: str) -> None:
    """An operator, or an admin app of `unit` itself."""
    if is_operator(deps, caller):
        return
    if caller.unit != unit or not is_unit_admin(deps, caller):
        raise ForbiddenError("Only an admin of this unit (or an operator) may do this.",
                             code="forbidden")


def may_manage_sso_apps(deps: Deps, caller: Caller, unit: str) -> bool:
    """Operators, the unit's admins, and the unit's SSO admins (forms 09-11)."""
    if is_operator(deps, caller):
        return True
    if caller.unit != unit:
        return False
    return is_unit_admin(deps, caller) or people_rules.SSO_ADMIN in caller.roles


def require_sso_manager(deps: Deps, caller: Caller, unit: str) -> None:
    if not may_manage_sso_apps(deps, caller, unit):
        raise ForbiddenError("Only an SSO admin or admin of this unit (or an operator) may "
                             "do this.", code="forbidden")
