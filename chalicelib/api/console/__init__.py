"""The web console (`/console`): what the province's IT department and each unit's admin
use in a browser (R-PROP-11, R-PROP-12, R-OPS-4, R-OPS-5; docs/console.md).

Each module declares its pages on the one blueprint; importing this package registers
them all (the menu's order is base.MENU).
"""

from __future__ import annotations

from chalicelib.api.console import (  # noqa: F401 (they declare the routes)
    auth,
    dashboard,
    history,
    operations,
    registry,
    reports,
    requests,
    requests_filing,
    traffic,
)
from chalicelib.api.console.base import console_api

__all__ = ["console_api"]
