"""Re-organisation of units (R-JOIN-5): the operator's actions and how addresses follow
them. Pure rules; the use cases are in `chalicelib/services/reorg.py`.

- rename: a new name (and optionally a new code: the old code gets the new one as its
  successor);
- merge: A + B (+ …) → C, each predecessor's successor is C;
- split: A → B + C, A has several successors: a message to A is refused naming them;
- dissolve: no successor.
Predecessors become `dissolved`; their codes keep their history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from .errors import ConflictError, InvalidRequestError
from .model import Model
from .schemas import Strict

Kind = Literal["rename", "merge", "split", "dissolve"]
MAX_HOPS = 8  # successor chains longer than this are refused as a loop


class LegalBasis(Strict):
    decision_number: str = Field(min_length=1, max_length=100,
                                 description="e.g. 1234/QĐ-UBND")
    decision_date: date


class NewUnit(Strict):
    """A successor: an existing unit (code only) or one to create (code and name)."""

    code: str = Field(min_length=3, max_length=32)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    short_name: str | None = Field(default=None, min_length=1, max_length=120)


class Reorganisation(Strict):
    kind: Kind
    legal_basis: LegalBasis
    effective_date: date = Field(description="Applied on this day (province time); a "
                                             "future day is scheduled")
    units: list[str] = Field(min_length=1, max_length=20,
                             description="The unit(s) re-organised: one, or the merged ones")
    successors: list[NewUnit] = Field(default_factory=list, max_length=20)
    new_name: str | None = Field(default=None, min_length=1, max_length=300,
                                 description="rename: the new full name")
    new_short_name: str | None = Field(default=None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _shape(self) -> Reorganisation:
        n_units, n_succ = len(set(self.units)), len(self.successors)
        wanted = {"rename": (n_units == 1 and n_succ <= 1
                             and (self.new_name is not None or n_succ == 1)),
                  "merge": n_units >= 2 and n_succ == 1,
                  "split": n_units == 1 and n_succ >= 2,
                  "dissolve": n_units == 1 and n_succ == 0}
        if not wanted[self.kind]:
            raise ValueError({
                "rename": "rename: one unit and a new_name (and/or one successor with the "
                          "new code)",
                "merge": "merge: two or more units and exactly one successor",
                "split": "split: one unit and two or more successors",
                "dissolve": "dissolve: one unit and no successor"}[self.kind])
        if set(self.units) & {s.code for s in self.successors}:
            raise ValueError("a unit cannot be its own successor")
        return self


class ReorgView(Model):
    id: str
    kind: Kind
    state: Literal["scheduled", "applied"]
    units: list[str]
    successors: list[str]
    legal_basis: LegalBasis
    effective_date: date
    created_by: str
    created_at: str
    applied_at: str | None = None
    moved_deliveries: int = 0
    sources_told: int = 0


def route(code: str, lookup: Callable[[str], dict[str, Any] | None]) -> str:
    """Where a message addressed to `code` goes: the unit itself while it is active, else
    its single successor (followed along the chain). A split unit is refused naming its
    successors; a dissolved one without successor, a suspended one, or an unknown code is
    refused too."""
    current, seen = code, [code]
    for _ in range(MAX_HOPS):
        unit = lookup(current)
        if unit is None:
            raise InvalidRequestError(f"Destination {code} is not a registered unit.",
                                      code="unknown_destination", unit=code)
        successors = list(unit.get("successors") or [])
        if unit["status"] == "active":
            return current
        if unit["status"] == "dissolved" and len(successors) == 1:
            current = successors[0]
            seen.append(current)
            continue
        if unit["status"] == "dissolved" and successors:
            raise ConflictError(f"Destination {current} was split; address one of its "
                                f"successors: {', '.join(successors)}.",
                                code="unit_split", unit=code, candidates=successors)
        raise InvalidRequestError(f"Destination {current} is {unit['status']}.",
                                  code="inactive_destination", unit=code)
    raise ConflictError(f"The successors of {code} do not end in an active unit: "
                        f"{' → '.join(seen)}.", code="successor_loop", unit=code)
