"""The registry's console pages (R-JOIN-1, R-JOIN-5, R-OPS-3, R-PROP-11): units, their
import and re-organisation (operators), apps and keys, people (operators and unit
admins). Importing this module declares them all and puts them in the menu."""

from __future__ import annotations

from chalicelib.api.console import (  # noqa: F401 (they declare the routes)
    registry_apps,
    registry_changes,
    registry_people,
    registry_units,
)
from chalicelib.api.console.base import nav_item

nav_item("/console/units", "nav_units", True)
nav_item("/console/apps", "nav_apps", None)
nav_item("/console/people", "nav_people", None)
