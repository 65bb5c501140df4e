"""Key builders of the brokered-session items (R-AUTH): services, grants, hub signing keys.

Every read is a get of one item or a query of one partition (see docs/data-model.md).
"""

from __future__ import annotations

HUBKEY = "HUBKEY"
META = "META"


def service(unit_code: str, service_id: str) -> tuple[str, str]:
    """A service a unit exposes; the unit's services are one partition (listing = query)."""
    return f"UNITSVC#{unit_code}", f"SVC#{service_id}"


def unit_services(unit_code: str) -> str:
    return f"UNITSVC#{unit_code}"


def grant(service_unit: str, service_id: str, source_unit: str,
          source_app: str | None) -> tuple[str, str]:
    """A grant on one service; `*` stands for every app of the source unit."""
    return f"GRANTS#{service_unit}#{service_id}", f"SRC#{source_unit}#{source_app or '*'}"


def grant_prefix(source_unit: str) -> str:
    return f"SRC#{source_unit}#"


def grants_of(service_unit: str, service_id: str) -> str:
    return f"GRANTS#{service_unit}#{service_id}"


def grant_ref(grant_id: str) -> tuple[str, str]:
    """Pointer from a grant id (used by DELETE) to the grant item."""
    return f"GRANT#{grant_id}", META


def hub_key(kid: str) -> tuple[str, str]:
    """A hub token-signing key; all of them are the one partition `HUBKEY`."""
    return HUBKEY, f"KID#{kid}"
