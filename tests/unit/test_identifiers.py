"""Agency identifier codes (QCVN 102:2016/BTTTT; R-JOIN-1): valid codes with their level
and parent chain, invalid ones with the part at fault."""

from __future__ import annotations

import pytest

from chalicelib.domain import identifiers
from chalicelib.domain.errors import InvalidRequestError


@pytest.mark.parametrize(("code", "level", "chain"), [
    ("000.00.00.H30", 1, []),
    ("000.00.00.G14", 1, []),
    ("000.00.04.G14", 2, ["000.00.00.G14"]),
    ("000.00.31.H99", 2, ["000.00.00.H99"]),
    ("000.12.31.H30", 3, ["000.00.31.H30", "000.00.00.H30"]),
    ("001.02.03.H30", 4, ["000.02.03.H30", "000.00.03.H30", "000.00.00.H30"]),
])
def test_valid_codes_give_level_and_parent_chain(code: str, level: int,
                                                 chain: list[str]) -> None:
    parsed = identifiers.parse(code)
    assert (parsed.level, parsed.chain()) == (level, chain)
    assert parsed.parent == (chain[0] if chain else None)


@pytest.mark.parametrize(("code", "part", "reason"), [
    ("", "format", "four parts"),
    ("000.00.00", "format", "four parts"),
    ("000.00.00.H30.1", "format", "four parts"),
    ("000.00.00.h30", "level1", "capital letter"),
    ("000.00.00.H3", "level1", "capital letter"),
    ("000.00.00.330", "level1", "capital letter"),
    ("000.00.0A.H30", "level2", "2 digits"),
    ("000.00.1.H30", "level2", "2 digits"),
    ("000.001.01.H30", "level3", "2 digits"),
    ("00.01.01.H30", "level4", "3 digits"),
    ("000.05.00.H30", "level2", "non-zero level 2"),
    ("001.00.03.H30", "level3", "non-zero level 3"),
    ("001.02.00.H30", "level2", "non-zero level 2"),
    ("000.00.٣١.H30", "level2", "2 digits"),  # non-ASCII digits
])
def test_invalid_codes_name_the_faulty_part(code: str, part: str, reason: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        identifiers.parse(code)
    assert refused.value.code == "invalid_unit_code"
    assert refused.value.details["part"] == part
    assert reason in refused.value.message


def test_the_account_is_the_code_at_the_province_domain() -> None:
    assert identifiers.account("000.00.31.H99", "hanoi.gov.vn") == "000.00.31.H99@hanoi.gov.vn"


@pytest.mark.parametrize(("code", "reason"), [
    ("", "the unit code is empty"),
    ("0" * 23 + ".00.00.H30", "it has 33 characters; a code has 13"),
    ("x" * 5000, "it has 5000 characters"),
])
def test_empty_and_over_long_codes_are_a_format_error(code: str, reason: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        identifiers.parse(code)
    assert (refused.value.code, refused.value.details) == ("invalid_unit_code",
                                                           {"part": "format"})
    assert reason in refused.value.message and len(refused.value.message) < 200


def test_the_field_a_code_came_in_is_named() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        identifiers.parse("000.05.00.H30", field="members[3]")
    assert refused.value.details == {"part": "level2", "field": "members[3]"}
    assert refused.value.message.startswith("members[3]: '000.05.00.H30'")


def test_destinations_are_codes_or_group_addresses() -> None:
    identifiers.check_destinations(["000.00.31.H30", "group:xa-huyen-a", "group:g.1_x"])


@pytest.mark.parametrize(("entries", "code", "details"), [
    (["000.00.31.H30", ""], "invalid_unit_code", {"part": "format", "field": "to[1]"}),
    (["000.05.00.H30"], "invalid_unit_code", {"part": "level2", "field": "to[0]"}),
    (["000.00.31.H30", "GROUP:x"], "invalid_unit_code", {"part": "format", "field": "to[1]"}),
    (["group:"], "invalid_group_id", {"field": "to[0]"}),
    (["000.00.31.H30", "group:Xã"], "invalid_group_id", {"field": "to[1]"}),
    (["group:" + "g" * 65], "invalid_group_id", {"field": "to[0]"}),
])
def test_a_malformed_destination_names_its_place(entries: list[str], code: str,
                                                 details: dict[str, str]) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        identifiers.check_destinations(entries)
    assert (refused.value.code, refused.value.details) == (code, details)
