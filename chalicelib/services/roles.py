"""Who may do what beyond their own app's data (R-OPS-3).

- **operator**: the province's IT department: the apps of the units in
  `LGSP_OPERATOR_UNITS`;
- **unit admin**: an app registered with role `unit_admin` (the credentials a unit's IT
  staff receive with form 04): manages its own unit's apps, keys and requests, never
  another unit's;
- **app**: a machine that exchanges messages (the default role).
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.signatures import Caller
from chalicelib.services.deps import Deps

APP, UNIT_ADMIN = "app", "unit_admin"
ROLES = (APP, UNIT_ADMIN)


def is_operator(deps: Deps, caller: Caller) -> bool:
    return caller.unit in deps.settings.operators


def require_operator(deps: Deps, caller: Caller) -> None:
    """Operators are the apps of the units in `LGSP_OPERATOR_UNITS` (the IT department)."""
    if not is_operator(deps, caller):
        raise ForbiddenError("Only operator apps may do this.", code="forbidden")


def is_unit_admin(deps: Deps, caller: Caller) -> bool:
    app = deps.table.get(*keys.app(caller.app))
    return app is not None and app.get("role") == UNIT_ADMIN


def require_unit_admin(deps: Deps, caller: Caller, unit: str) -> None:
    """An operator, or an admin app of `unit` itself."""
    if is_operator(deps, caller):
        return
    if caller.unit != unit or not is_unit_admin(deps, caller):
        raise ForbiddenError("Only an admin of this unit (or an operator) may do this.",
                             code="forbidden")
