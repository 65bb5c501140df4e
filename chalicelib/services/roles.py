"""Who may do what beyond their own unit's data (R-OPS-3 refines this with admin roles)."""

from __future__ import annotations

from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.signatures import Caller
from chalicelib.services.deps import Deps


def require_operator(deps: Deps, caller: Caller) -> None:
    """Operators are the apps of the units in `LGSP_OPERATOR_UNITS` (the IT department)."""
    if caller.unit not in deps.settings.operators:
        raise ForbiddenError("Only operator apps may do this.", code="forbidden")
