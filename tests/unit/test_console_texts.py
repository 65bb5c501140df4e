"""The console speaks Vietnamese first and English on request: both languages have every
word (a page never shows a missing key), and the templates ask only for words that exist."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.api.console.texts import TEXTS

TEMPLATES = Path(__file__).resolve().parents[2] / "chalicelib" / "templates" / "console"


def test_both_languages_have_every_word() -> None:
    assert set(TEXTS["vi"]) == set(TEXTS["en"])
    assert all(TEXTS["vi"][k].strip() and TEXTS["en"][k].strip() for k in TEXTS["vi"])


def test_every_word_a_template_asks_for_exists() -> None:
    asked = {m.group(1) for path in TEMPLATES.glob("*.html")
             for m in re.finditer(r"\bt\.([a-z0-9_]+)\b(?!\()", path.read_text())}
    assert asked and not asked - set(TEXTS["vi"]), asked - set(TEXTS["vi"])


def test_no_two_areas_say_one_word_differently() -> None:
    from chalicelib.api.console import (
        texts,
        texts_dashboard,
        texts_operations,
        texts_registry,
        texts_reports,
        texts_requests,
    )
    areas = [texts, texts_dashboard, texts_operations, texts_registry, texts_reports,
             texts_requests]
    for lang in ("VI", "EN"):
        said: dict[str, str] = {}
        for area in areas:
            for key, text in getattr(area, lang).items():
                assert said.setdefault(key, text) == text, (area.__name__, key)
