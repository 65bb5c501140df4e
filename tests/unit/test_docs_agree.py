"""The docs say what the hub does: its error codes and their statuses (docs/api.md's
error tables are the catalogue of every code the hub answers; docs/auth.md lists the
signing refusals), and every `LGSP_*` setting in docs/deploy.md's reference."""

from __future__ import annotations

import re

import pytest

from chalicelib.config import Settings
from tests.support.doc_codes import ROOT, catalogue, hub_codes, stated_pairs


def test_every_code_the_hub_answers_is_catalogued_with_its_status() -> None:
    hub, docs = hub_codes(), catalogue()
    missing = sorted(f"{status} {code}" for code, statuses in hub.items()
                     for status in statuses if status not in docs.get(code, set()))
    assert not missing, f"not in docs/api.md's error tables: {missing}"


def test_every_catalogued_code_is_one_the_hub_answers_so() -> None:
    hub, docs = hub_codes(), catalogue()
    unknown = sorted(f"{status} {code}" for code, statuses in docs.items()
                     for status in statuses if status not in hub.get(code, set()))
    assert not unknown, f"documented, never answered (or not with that status): {unknown}"


def test_statuses_stated_anywhere_in_the_docs_are_the_hubs() -> None:
    hub = hub_codes()
    wrong = sorted({f"{doc}: {status} {code}" for doc, status, code in stated_pairs()
                    if status not in hub.get(code, set())})
    assert not wrong, f"the hub answers these codes with another status: {wrong}"


def test_the_catalogue_is_read() -> None:
    """The parsers find what they look for, so the checks above check something."""
    docs = catalogue()
    assert docs["clock_skew"] == {"401"} and docs["route_not_found"] == {"404"}
    assert docs["algorithm_not_allowed"] == {"400", "401"}
    assert len(hub_codes()) > 80 and len(stated_pairs()) > 100


# -- settings --------------------------------------------------------------------------


def settings_reference() -> dict[str, tuple[str, str]]:
    """docs/deploy.md's reference table: `LGSP_<NAME>` -> (default, meaning)."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("## Settings reference", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(LGSP_[A-Z0-9_]+)` \|([^|]*)\|([^|]*)\|$", section, re.MULTILINE)
    return {name: (default.strip(), meaning.strip()) for name, default, meaning in rows}


def documented_default(value: object) -> str:
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def test_every_setting_is_in_the_reference_and_nothing_else() -> None:
    names = {f"LGSP_{name.upper()}" for name in Settings.model_fields}
    assert set(settings_reference()) == names


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_each_setting_is_documented_with_its_default(name: str) -> None:
    field = Settings.model_fields[name]
    default, meaning = settings_reference()[f"LGSP_{name.upper()}"]
    assert documented_default(field.default) in default, (name, default)
    assert len(meaning) > 10, name
    if (field.description or "").lower().startswith("tests and drills only"):
        assert "tests and drills only" in meaning.lower(), name
