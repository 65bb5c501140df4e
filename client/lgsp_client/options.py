"""Parsing of user-facing values: priorities (with Vietnamese labels), durations, sizes,
status codes (with their English and Vietnamese names), and parsers as argparse types.

Kept apart from the CLI so Python callers get the same rules, and mirroring the hub's
wire values without importing the hub.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Callable
from typing import Any

PRIORITIES = ("hoa_toc", "thuong_khan", "khan", "thuong")
PRIORITY_LABELS = {"hoa_toc": "Hỏa tốc", "thuong_khan": "Thượng khẩn", "khan": "Khẩn",
                   "thuong": "Thường"}
MIN_CONFIRM_SECONDS = 60
MAX_CONFIRM_SECONDS = 90 * 24 * 3600
MIN_PART_MIB = 5
MAX_PART_MIB = 5 * 1024
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)


def argument_type(parse: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """`parse` as an argparse `type`: its ValueError becomes a usage error (exit 2) that
    says what is wrong."""
    def convert(value: str) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = name
    return convert


def fold(text: str) -> str:
    """Lower-case, strip diacritics, treat đ as d, and join words with '_'."""
    text = text.strip().lower().replace("đ", "d")
    bare = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return "_".join(bare.replace("-", " ").split())


def parse_priority(value: str) -> str:
    """`hoa_toc`, `Hỏa tốc`, `hoa toc`, `HOA-TOC` or the edXML code 3 -> `hoa_toc`."""
    folded = fold(value)
    if folded.isdigit() and int(folded) <= 3:
        return PRIORITIES[3 - int(folded)]
    if folded in PRIORITIES:
        return folded
    raise ValueError(f"unknown priority {value!r}: use one of {', '.join(PRIORITIES)} "
                     "(or Hỏa tốc, Thượng khẩn, Khẩn, Thường)")


# The status codes of the national document axis (the hub's docs/edxml.md), with the
# English and Vietnamese names `lgsp status-reply` also takes.
STATUS_NAMES = {
    "01": ("arrived", "da_den"), "02": ("rejected", "tu_choi"),
    "03": ("accepted", "tiep_nhan"), "04": ("assigned", "phan_cong"),
    "05": ("in_progress", "dang_xu_ly"), "06": ("completed", "hoan_thanh"),
    "13": ("recall_requested", "de_nghi_thu_hoi"),
    "15": ("recall_accepted", "dong_y_thu_hoi"), "16": ("recall_refused", "tu_choi_thu_hoi"),
}


def parse_status_code(value: str) -> str:
    """`03`, `3`, `accepted`, `Tiếp nhận` -> `03`. Any one- or two-digit code is passed on
    as two digits (the hub names the codes it takes); a name must be one of the list."""
    folded = fold(value)
    if folded.isdigit() and 1 <= len(folded) <= 2:
        return folded.zfill(2)
    for code, names in STATUS_NAMES.items():
        if folded in names:
            return code
    known = ", ".join(f"{code} {names[0]}" for code, names in STATUS_NAMES.items())
    raise ValueError(f"unknown status code {value!r}: use one of {known}")


def priority_label(value: str) -> str:
    return PRIORITY_LABELS.get(value, value)


def parse_duration(value: str) -> int:
    """`3d`, `12h`, `90m`, `1w` or plain seconds (`3600`) -> seconds, within the hub's
    bounds for a confirmation deadline (1 minute to 90 days)."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"invalid duration {value!r}: use e.g. 3d, 12h, 90m or 3600")
    seconds = int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if not MIN_CONFIRM_SECONDS <= seconds <= MAX_CONFIRM_SECONDS:
        raise ValueError(f"duration {value!r} is out of range: 1 minute to 90 days")
    return seconds


def parse_part_size_mib(value: str) -> int:
    """Part size in MiB (5 to 5120, the object store's limits) -> bytes."""
    try:
        mib = int(value)
    except ValueError:
        raise ValueError(f"invalid part size {value!r}: a whole number of MiB") from None
    if not MIN_PART_MIB <= mib <= MAX_PART_MIB:
        raise ValueError(f"part size must be {MIN_PART_MIB} to {MAX_PART_MIB} MiB")
    return mib * 1024 * 1024


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
