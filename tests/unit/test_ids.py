"""Ids of the hub: time-ordered, unguessable, and in creation order even within one
millisecond (trace and history lines written one after the other keep their order)."""

from __future__ import annotations

import re

from chalicelib.adapters.system import TimeOrderedIds


def test_ids_made_in_a_row_sort_in_the_order_they_were_made() -> None:
    ids = TimeOrderedIds()
    made = [ids.new_id() for _ in range(5000)]  # many share a millisecond
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)
    assert len({i[:12] for i in made}) < len(made)  # same millisecond, still ordered
