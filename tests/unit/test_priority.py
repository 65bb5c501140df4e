"""R-PROP-4: priorities, their order and the spellings agencies use."""

import pytest

from chalicelib.domain.priority import Priority


@pytest.mark.parametrize(("raw", "expected"), [
    ("hoa_toc", Priority.HOA_TOC), ("Hỏa tốc", Priority.HOA_TOC), ("HOA TOC", Priority.HOA_TOC),
    ("Thượng khẩn", Priority.THUONG_KHAN), ("thuong-khan", Priority.THUONG_KHAN),
    ("Khẩn", Priority.KHAN), ("Thường", Priority.THUONG), (3, Priority.HOA_TOC),
    (0, Priority.THUONG), ("1", Priority.KHAN),
])
def test_spellings_map_to_one_priority(raw: object, expected: Priority) -> None:
    assert Priority(raw) is expected


@pytest.mark.parametrize("raw", ["urgent", 4, -1, "", True])
def test_unknown_priorities_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        Priority(raw)


def test_rank_orders_hoa_toc_first_and_edxml_codes() -> None:
    ordered = sorted(Priority, key=lambda p: p.rank)
    assert ordered == [Priority.HOA_TOC, Priority.THUONG_KHAN, Priority.KHAN, Priority.THUONG]
    assert [p.edxml_code for p in ordered] == [3, 2, 1, 0]
    assert Priority.THUONG_KHAN.label == "Thượng khẩn"
