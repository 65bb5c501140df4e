"""Matching rules of the smart directory (R-PROP-7): pure text handling, no I/O.

People type unit names without diacritics, in any case, and often only the start of the
last word ("so tai ch" for "Sở Tài chính"). So names are compared in a *folded* form:
Unicode NFD, combining marks removed, `đ`/`Đ` read as `d`, then case-folded. Folding can
change the length of a string (a decomposed input, `ß` → `ss`), so the spans a client
highlights are mapped back to offsets in the ORIGINAL text, character by character.

Ranking (smaller is better), documented in docs/directory.md:
1. tier 0: the query is exactly the unit's code or account (case-insensitive);
2. tier 1: every query token equals a whole word of one field (name or short name);
3. tier 2: every query token is a word or the start of a word of one field (at least one
   is only a prefix), or the query is the start of the code or account;
4. then the shorter name, then the higher level (1 before 4), then the code.
Acronyms ("tc" for "Tài chính") are deliberately not matched: they are ambiguous and would
drown the prefix matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

EXACT, WHOLE_WORDS, PREFIX = 0, 1, 2
MAX_QUERY_CHARS = 200
UNIT_STATUSES = ("active", "suspended", "dissolved")  # of a unit in the registry
MAX_QUERY_TOKENS = 12
_WORD = re.compile(r"[^\W_]+")
_STROKE = str.maketrans({"đ": "d", "Đ": "D"})


def _fold_slow(text: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", text)
                       if unicodedata.category(c) != "Mn")
    return stripped.translate(_STROKE).casefold()


class _FoldTable(dict[int, str]):
    """Per-character folds for `str.translate`, filled on first sight. Folding a string
    character by character equals folding it whole: the marks canonical ordering would
    move are removed anyway, and case folding has no context. `mark` stands in for a
    character that folds to nothing (so its presence shows in the output)."""

    LIMIT = 65536  # a bound on what odd queries can make a process remember

    def __init__(self, mark: str = "") -> None:
        super().__init__()
        self.mark = mark

    def __missing__(self, key: int) -> str:
        value = _fold_slow(chr(key)) or self.mark
        if len(self) < self.LIMIT:
            self[key] = value
        return value


_FOLD = _FoldTable()
_FOLD_MARKED = _FoldTable(mark="\x00")


def fold(text: str) -> str:
    """The form names are compared in: no diacritics, `đ` = `d`, case-folded."""
    return text.translate(_FOLD)


def tokens(text: str) -> list[str]:
    """Folded words: runs of letters and digits (punctuation and `_` separate words)."""
    return _WORD.findall(fold(text))


def query_tokens(query: str) -> list[str]:
    """The words of a query, at most `MAX_QUERY_TOKENS` (the rest adds nothing useful)."""
    return tokens(query[:MAX_QUERY_CHARS])[:MAX_QUERY_TOKENS]


@dataclass(frozen=True)
class Word:
    """A folded word of a text with, per folded character, where it lies in the original:
    `starts[i]`/`ends[i]` are original offsets, so any folded prefix maps back exactly."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, length: int) -> tuple[int, int]:
        """Original offsets of the first `length` folded characters of this word."""
        return self.starts[0], self.ends[min(length, len(self.text)) - 1]


def words(text: str) -> list[Word]:
    """`tokens(text)` with their original offsets (folding each character on its own)."""
    folded: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, char in enumerate(text):
        out = _FOLD[ord(char)]
        if not out:  # a combining mark of a decomposed input: part of the previous letter
            if ends:
                ends[-1] = i + 1
            continue
        for part in out:
            folded.append(part)
            starts.append(i)
            ends.append(i + 1)
    flat = "".join(folded)
    return [Word(m.group(), tuple(starts[m.start():m.end()]), tuple(ends[m.start():m.end()]))
            for m in _WORD.finditer(flat)]


@dataclass(frozen=True)
class FieldMatch:
    """How a query matched one field: per query token, (word index, folded length matched);
    `prefixes` counts the query tokens matched only as the start of a word."""

    assigned: tuple[tuple[int, int], ...]
    prefixes: int

    @property
    def tier(self) -> int:
        return PREFIX if self.prefixes else WHOLE_WORDS


def match_words(query: Sequence[str], field_words: Sequence[str]) -> FieldMatch | None:
    """Match every query token to a distinct word of the field, or None.

    Whole words are taken first; prefixes then go longest first. Prefix sets are nested or
    disjoint ("th" ⊇ "tha"), so serving the most specific token first never starves
    another that had a choice.
    """
    used = [False] * len(field_words)
    found: dict[int, tuple[int, int]] = {}
    for qi, q in enumerate(query):
        for wi, word in enumerate(field_words):
            if not used[wi] and word == q:
                used[wi], found[qi] = True, (wi, len(q))
                break
    prefixes = 0
    for qi in sorted((i for i in range(len(query)) if i not in found),
                     key=lambda i: -len(query[i])):
        q = query[qi]
        for wi, word in enumerate(field_words):
            if not used[wi] and word.startswith(q):
                used[wi], found[qi] = True, (wi, len(q))
                prefixes += 1
                break
        else:
            return None
    return FieldMatch(tuple(found[i] for i in range(len(query))), prefixes)


def best_field(query: Sequence[str],
               fields: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, FieldMatch] | None:
    """The field that matches with the fewest prefix-only tokens (earlier fields win ties:
    the name before the short name)."""
    best: tuple[str, FieldMatch] | None = None
    for name, field_words in fields:
        found = match_words(query, field_words)
        if found is not None and (best is None or found.prefixes < best[1].prefixes):
            best = (name, found)
    return best


def _word_spans(text: str, found: FieldMatch) -> list[tuple[int, int]]:
    marked = text.translate(_FOLD_MARKED)
    if len(marked) == len(text) and "\x00" not in marked:
        # Every character folds to exactly one (composed Vietnamese): offsets are shared.
        starts = [m.start() for m in _WORD.finditer(marked)]
        return [(starts[wi], starts[wi] + length) for wi, length in found.assigned]
    text_words = words(text)
    return [text_words[wi].span(length) for wi, length in found.assigned]


def spans(text: str, found: FieldMatch) -> list[tuple[int, int]]:
    """The matched parts as `[start, end)` offsets in the original `text`, in text order,
    touching or overlapping spans merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(_word_spans(text, found)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def code_match(query: str, code: str, account: str) -> tuple[str, int] | None:
    """('code' | 'account', tier) when the query is the code or account or starts it."""
    q = query.strip().casefold()
    if not q:
        return None
    for field, value in (("code", code.casefold()), ("account", account.casefold())):
        if q == value:
            return field, EXACT
    for field, value in (("code", code.casefold()), ("account", account.casefold())):
        if value.startswith(q):
            return field, PREFIX
    return None


def order_key(name: str, level: int, code: str) -> tuple[int, int, str]:
    """Tie-breakers inside a tier: shorter names are the more specific matches, then the
    higher level (the department before its sub-units), then the code (stable)."""
    return len(name), level, code


def tree_key(code: str) -> tuple[str, ...]:
    """Sort key putting every unit right after its ancestors (codes read right to left):
    a unit's subtree is one contiguous run in this order."""
    return tuple(reversed(code.split(".")))
