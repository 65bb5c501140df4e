"""Which parts a resumed upload may skip (R-PROP-2): only those the store holds with the
planned size and, where the store reports it, the declared SHA-256."""

from __future__ import annotations

from chalicelib.domain.content import ContentPlan, PlannedPart, held_parts
from chalicelib.domain.ports import StoredPart

MiB = 1024 * 1024
PLAN = ContentPlan("multipart", (PlannedPart(1, 0, 5 * MiB, "AAA="),
                                 PlannedPart(2, 5 * MiB, 5 * MiB, "BBB="),
                                 PlannedPart(3, 10 * MiB, MiB, "CCC=")))


def test_parts_held_as_declared_are_skipped_others_are_uploaded_again() -> None:
    stored = [StoredPart(1, '"e1"', 5 * MiB, "AAA="),   # as declared
              StoredPart(2, '"e2"', 5 * MiB, "XXX="),   # other bytes: overwritten
              StoredPart(3, '"e3"', MiB, None)]         # checksum not reported by the store
    assert held_parts(PLAN, stored) == {1: '"e1"', 3: '"e3"'}


def test_wrong_sizes_and_unplanned_numbers_are_never_held() -> None:
    stored = [StoredPart(1, '"e1"', 4 * MiB, None), StoredPart(4, '"e4"', MiB, None)]
    assert held_parts(PLAN, stored) == {}
