"""Priority of a package (độ khẩn), R-PROP-4.

Wire values are the four ASCII slugs, and the API takes nothing else
(`schemas.WirePriority`). `Priority(value)` also understands the Vietnamese labels (with
or without diacritics) and the edXML priority codes (0 Thường … 3 Hỏa tốc), for reading
other sources; the `lgsp` client folds them to slugs before sending. Delivery order is by
`rank` (0 first), then by age.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum


def _fold(text: str) -> str:
    """Lower-case, strip diacritics, treat đ as d, and join words with '_'."""
    text = text.strip().lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return "_".join(bare.replace("-", " ").split())


class Priority(StrEnum):
    HOA_TOC = "hoa_toc"
    THUONG_KHAN = "thuong_khan"
    KHAN = "khan"
    THUONG = "thuong"

    @property
    def rank(self) -> int:
        """Sort rank: 0 is delivered first."""
        return _ORDER.index(self)

    @property
    def edxml_code(self) -> int:
        """The edXML `Priority` code (0 Thường, 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc)."""
        return 3 - self.rank

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def _missing_(cls, value: object) -> Priority | None:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return _ORDER[3 - value]
        if isinstance(value, str):
            folded = _fold(value)
            if folded.isdigit():
                return cls._missing_(int(folded))
            for member in cls:
                if member.value == folded:
                    return member
        return None


_ORDER = [Priority.HOA_TOC, Priority.THUONG_KHAN, Priority.KHAN, Priority.THUONG]
_LABELS = {
    Priority.HOA_TOC: "Hỏa tốc",
    Priority.THUONG_KHAN: "Thượng khẩn",
    Priority.KHAN: "Khẩn",
    Priority.THUONG: "Thường",
}
