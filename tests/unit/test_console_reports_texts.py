"""The report pages speak Vietnamese and English alike: both languages have every word,
and every word a report template asks for exists."""

from __future__ import annotations

import re

from chalicelib.api import pages
from chalicelib.api.console import texts_reports
from chalicelib.api.console.texts import TEXTS


def test_both_languages_have_the_same_words() -> None:
    assert set(texts_reports.VI) == set(texts_reports.EN)
    assert all(texts_reports.VI[k] and texts_reports.EN[k] for k in texts_reports.VI)


def test_every_word_the_templates_use_exists() -> None:
    used: set[str] = set()
    for path in (pages.TEMPLATES / "console").glob("reports_*.html"):
        used |= set(re.findall(r"\bt\.([a-z_0-9]+)", path.read_text()))
    assert used and not used - set(TEXTS["vi"]) and not used - set(TEXTS["en"])
