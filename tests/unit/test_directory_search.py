"""The smart directory's matching and ranking (R-PROP-7), on an in-memory index: accents
and case ignored, `đ` = `d`, prefixes, spans in the original text, ranking, filters."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from chalicelib.domain import directory as rules, identifiers
from chalicelib.services.directory import DirectoryIndex, Hit

DOMAIN = "lgsp.gov.vn"
UNITS = [
    ("000.00.00.H99", "Ủy ban nhân dân tỉnh Hà Giang", "UBND tỉnh", "active"),
    ("000.00.01.H99", "Sở Tài chính", "STC", "active"),
    ("000.01.01.H99", "Phòng Tài chính - Kế hoạch", None, "active"),
    ("000.00.02.H99", "Sở Tư pháp tỉnh Hà Giang", None, "active"),
    ("000.00.03.H99", "Sở Thông tin và Truyền thông", "Sở TT&TT", "active"),
    ("000.00.04.H99", "Ban Tuyên giáo", None, "active"),
    ("000.00.05.H99", "Văn phòng", None, "active"),
    ("000.02.01.H99", "Văn phòng", None, "active"),
    ("000.00.10.H99", "Ủy ban nhân dân huyện Đồng Văn", "UBND huyện Đồng Văn", "active"),
    ("000.01.10.H99", "Ủy ban nhân dân xã Đồng Tâm", None, "active"),
    ("001.01.10.H99", "Trường Tiểu học Đồng Tâm", None, "active"),
    ("002.01.10.H99", "Trường THCS Dong Tam", None, "dissolved"),
    ("000.02.10.H99", "Uỷ ban nhân dân thị trấn Đồng Văn", None, "suspended"),
    ("000.00.11.H99", "Ủy ban nhân dân huyện Đông Hà", None, "active"),
]


def item(code: str, name: str, short: str | None, status: str) -> dict[str, Any]:
    parsed = identifiers.parse(code)
    return {"code": code, "name": name, "short_name": short or name, "level": parsed.level,
            "parent": parsed.parent, "status": status,
            "account": identifiers.account(code, DOMAIN), "successors": []}


@pytest.fixture(scope="module")
def index() -> DirectoryIndex:
    return DirectoryIndex(7, [item(*u) for u in UNITS])


def codes(hits: list[Hit]) -> list[str]:
    return [h.row.code for h in hits]


def search(index: DirectoryIndex, q: str, **kw: Any) -> list[Hit]:
    return index.search(q, **kw)[0]


def highlighted(hit: Hit) -> list[str]:
    assert hit.match is not None
    return [hit.match.text[s:e] for s, e in hit.match.spans]


def test_fold_drops_diacritics_and_case_and_reads_d_stroke_as_d() -> None:
    assert rules.fold("Sở Tài chính") == "so tai chinh"
    assert rules.fold("ĐỒNG VĂN đồng văn") == "dong van dong van"
    assert rules.fold("Ủy") == rules.fold("Uỷ") == rules.fold("UY") == "uy"
    assert rules.fold(unicodedata.normalize("NFD", "Thượng khẩn")) == "thuong khan"
    assert rules.tokens("Phòng Tài chính - Kế hoạch") == ["phong", "tai", "chinh", "ke", "hoach"]


@pytest.mark.parametrize("text", [
    "Sở Tài chính", "ĐỒNG Văn", unicodedata.normalize("NFD", "Ủy ban Đồng Tâm"),
    "Straße Nº 5", "Sở TT&TT_x",
])
def test_words_with_offsets_agree_with_fold(text: str) -> None:
    assert [w.text for w in rules.words(text)] == rules.tokens(text)
    assert rules.fold(text) == rules._fold_slow(text)  # per character == whole string


@pytest.mark.parametrize("q", ["so tai chinh", "Sở Tài Chính", "SO TAI CHINH", "sở tai chính"])
def test_accents_and_case_are_ignored(index: DirectoryIndex, q: str) -> None:
    hits = search(index, q)
    assert codes(hits)[0] == "000.00.01.H99"
    assert hits[0].match is not None and hits[0].match.field == "name"
    assert hits[0].match.spans == [(0, 2), (3, 6), (7, 12)]
    assert highlighted(hits[0]) == ["Sở", "Tài", "chính"]


@pytest.mark.parametrize("q", ["dong van", "Đồng Văn", "ĐỒNG VĂN", "đong van", "Dong văn"])
def test_d_and_d_stroke_are_the_same_letter(index: DirectoryIndex, q: str) -> None:
    hits = search(index, q)
    assert set(codes(hits)) == {"000.00.10.H99", "000.02.10.H99"}
    assert all(highlighted(h) == ["Đồng Văn"] or highlighted(h) == ["Đồng", "Văn"]
               for h in hits)


def test_an_unaccented_name_is_found_by_an_accented_query(index: DirectoryIndex) -> None:
    assert "002.01.10.H99" in codes(search(index, "Trường THCS Đồng Tâm"))


def test_the_start_of_a_word_is_enough_and_spans_cover_only_it(index: DirectoryIndex) -> None:
    hits = search(index, "so tai ch")
    assert codes(hits)[0] == "000.00.01.H99"
    assert highlighted(hits[0]) == ["Sở", "Tài", "ch"]
    assert hits[0].tier == rules.PREFIX


def test_acronyms_are_not_matched(index: DirectoryIndex) -> None:
    assert "000.00.01.H99" not in codes(search(index, "tc"))


def test_short_names_match_and_say_so(index: DirectoryIndex) -> None:
    hits = search(index, "stc")
    assert codes(hits) == ["000.00.01.H99"]
    assert hits[0].match is not None and hits[0].match.field == "short_name"
    assert highlighted(hits[0]) == ["STC"]
    tt = search(index, "so tt&tt")[0]
    assert tt.row.code == "000.00.03.H99" and highlighted(tt) == ["Sở", "TT", "TT"]


def test_spans_map_to_decomposed_original_text() -> None:
    name = unicodedata.normalize("NFD", "Sở Tài chính")
    idx = DirectoryIndex(1, [item("000.00.01.H99", name, None, "active")])
    hit = search(idx, "tai chinh")[0]
    assert [unicodedata.normalize("NFC", t) for t in highlighted(hit)] == ["Tài", "chính"]


def test_every_query_token_must_match_a_distinct_word() -> None:
    assert rules.match_words(["th", "tha"], ["thanh", "thi"]) is not None
    assert rules.match_words(["dong", "dong"], ["dong", "tam"]) is None
    found = rules.match_words(["tam", "dong"], ["xa", "dong", "tam"])
    assert found is not None and found.assigned == ((2, 3), (1, 4)) and found.tier == 1


def test_exact_code_or_account_comes_first(index: DirectoryIndex) -> None:
    hits = search(index, "000.00.01.h99")
    assert codes(hits) == ["000.00.01.H99"] and hits[0].tier == rules.EXACT
    assert hits[0].match is not None and hits[0].match.field == "code"
    account = search(index, f"000.00.10.H99@{DOMAIN}")
    assert account[0].match is not None and account[0].match.field == "account"


def test_the_start_of_a_code_lists_the_codes_it_starts(index: DirectoryIndex) -> None:
    hits = search(index, "000.00.1")
    assert set(codes(hits)) == {"000.00.10.H99", "000.00.11.H99"}
    assert all(highlighted(h) == ["000.00.1"] for h in hits)


def test_whole_words_rank_before_prefixes_even_for_longer_names(
        index: DirectoryIndex) -> None:
    hits = search(index, "tu")
    assert codes(hits)[:2] == ["000.00.02.H99", "000.00.04.H99"]  # Tư pháp, then Tuyên
    assert [h.tier for h in hits[:2]] == [rules.WHOLE_WORDS, rules.PREFIX]


def test_shorter_names_then_higher_levels_break_ties(index: DirectoryIndex) -> None:
    assert codes(search(index, "tai chinh"))[:2] == ["000.00.01.H99", "000.01.01.H99"]
    assert codes(search(index, "van phong")) == ["000.00.05.H99", "000.02.01.H99"]


def test_filters_by_subtree_level_and_status(index: DirectoryIndex) -> None:
    under = codes(search(index, "dong", parent="000.00.10.H99"))
    assert set(under) == {"000.01.10.H99", "001.01.10.H99", "002.01.10.H99", "000.02.10.H99"}
    assert codes(search(index, "dong", parent="000.00.10.H99", level=4,
                        status="active")) == ["001.01.10.H99"]
    assert codes(search(index, "dong van", status="suspended")) == ["000.02.10.H99"]
    assert search(index, "tai chinh", parent="000.00.10.H99") == []


def test_limit_caps_and_says_there_is_more(index: DirectoryIndex) -> None:
    hits, more = index.search("uy ban", limit=2)
    assert len(hits) == 2 and more
    hits, more = index.search("uy ban", limit=50)
    assert len(hits) == 5 and not more


def test_listing_without_a_query_is_in_code_order_and_pages(index: DirectoryIndex) -> None:
    first, cursor = index.listing(parent=None, level=3, status=None, limit=2, after=None)
    assert [r.code for r in first] == ["000.01.01.H99", "000.01.10.H99"] and cursor
    rest, end = index.listing(parent=None, level=3, status=None, limit=2, after=cursor)
    assert [r.code for r in rest] == ["000.02.01.H99", "000.02.10.H99"] and end is None


def test_a_subtree_is_the_root_then_each_unit_after_its_parent(index: DirectoryIndex) -> None:
    rows, more = index.subtree("000.00.10.H99", limit=10, after=None)
    assert [r.code for r in rows] == ["000.00.10.H99", "000.01.10.H99", "001.01.10.H99",
                                      "002.01.10.H99", "000.02.10.H99"] and not more
    page, more = index.subtree("000.00.10.H99", limit=2, after="000.01.10.H99")
    assert [r.code for r in page] == ["001.01.10.H99", "002.01.10.H99"] and more
