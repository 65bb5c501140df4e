"""Directory search (R-PROP-7) over 15,000 units: what a search costs next to a plain
dict lookup, and what rebuilding the cached index costs next to reading the directory.

An in-process hub on a SQLite table in a temporary folder holds synthetic units with
Vietnamese names shaped like the province's (Sở …, Phòng …, Ủy ban nhân dân xã/phường/
thị trấn …, Trường …, Trạm Y tế …) in a four-level tree. Then, in one run:
- `index_search`: the in-memory search alone (`DirectoryIndex.search`);
- `service_search`: the whole use case (`services.directory.search`): the version
  GetItem on SQLite, the search, the wire models;
- `dict_lookup`: the same number of `dict[code]` lookups, the yardstick of the ratios;
- `page`: paging the `UNITS` partition (200 a page), and `build`: building the index from
  what was read, so `build_over_page` says what a rebuild adds to the unavoidable read.
Figures are medians of interleaved repetitions; only ratios are meant to be compared.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from chalicelib.adapters.table_sqlite import SqliteTable
from chalicelib.domain.directory import fold
from chalicelib.domain.ports import ObjectStore, TransactOp
from chalicelib.services import directory, units as unit_records
from chalicelib.services.deps import Deps
from tests.support.fakes import FakeClock
from tests.support.hub import make_deps

PROVINCE = "H99"
DEPARTMENTS = [
    ("Sở Tài chính", "STC"), ("Sở Tư pháp", "STP"), ("Sở Nội vụ", "SNV"),
    ("Sở Y tế", "SYT"), ("Sở Giáo dục và Đào tạo", "Sở GD&ĐT"),
    ("Sở Kế hoạch và Đầu tư", "Sở KH&ĐT"), ("Sở Xây dựng", "SXD"),
    ("Sở Giao thông vận tải", "Sở GTVT"), ("Sở Công Thương", "SCT"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "Sở NN&PTNT"),
    ("Sở Tài nguyên và Môi trường", "Sở TN&MT"), ("Sở Thông tin và Truyền thông", "Sở TT&TT"),
    ("Sở Lao động - Thương binh và Xã hội", "Sở LĐ-TB&XH"),
    ("Sở Văn hóa, Thể thao và Du lịch", "Sở VHTT&DL"), ("Sở Khoa học và Công nghệ", "Sở KH&CN"),
    ("Thanh tra tỉnh", None), ("Văn phòng Ủy ban nhân dân tỉnh", "VP UBND tỉnh"),
    ("Ban Dân tộc", None), ("Đài Phát thanh và Truyền hình", None),
    ("Ban Quản lý các khu công nghiệp", None),
]
OFFICES = ["Văn phòng", "Thanh tra", "Phòng Kế hoạch - Tài chính", "Phòng Tổ chức cán bộ",
           "Chi cục Quản lý chất lượng", "Trung tâm Công nghệ thông tin"]
DISTRICT_OFFICES = [
    "Phòng Tài chính - Kế hoạch", "Phòng Nội vụ", "Phòng Tư pháp", "Phòng Y tế",
    "Phòng Giáo dục và Đào tạo", "Phòng Tài nguyên và Môi trường", "Phòng Kinh tế và Hạ tầng",
    "Phòng Văn hóa và Thông tin", "Phòng Lao động - Thương binh và Xã hội",
    "Phòng Dân tộc", "Thanh tra huyện", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân"]
SYLLABLES = tuple(" ".join([
    "Đồng Văn Mèo Vạc Yên Minh Quản Bạ Bắc Mê Hoàng Su Phì Xín Mần Quang Bình Vị Xuyên",
    "Lũng Cú Phó Bảng Sủng Là Tả Phìn Tân Thanh Thủy Đông Tây Nam Hòa An Phú Xuân Đức",
    "Long Sơn Hà Trung Việt Lâm Hưng Thịnh Định Tiến Đạo Ngọc Linh Hồ Thầu Nậm Dịch Khâu",
    "Vai Lao Chải Sà Mậu Duệ Đường Thượng Hạ Giàng Chu Pả Vi Kim Thạch Cao Mã Pì Lèng",
    "Ngàm Đăng Quyết Nghĩa Thuận Khánh Cường Lợi"]).split(" "))
SCHOOLS = ["Trường Mầm non {p}", "Trường Tiểu học {p}", "Trường THCS {p}",
           "Trường PTDTBT Tiểu học {p}", "Trường PTDTBT THCS {p}", "Trạm Y tế {k} {p}",
           "Trường Tiểu học {p} số {n}", "Trường Mầm non {v}", "Điểm trường thôn {v}",
           "Nhà văn hóa thôn {v}", "Trường Phổ thông Dân tộc nội trú {p}",
           "Hợp tác xã Nông nghiệp {v}"]


def _place(rng: random.Random) -> str:
    return " ".join(rng.sample(SYLLABLES, 2))


def synthetic_units(count: int, seed: int = 53) -> list[tuple[str, str, str | None]]:
    """`count` (code, name, short name) in a province tree: departments and their offices,
    districts with their offices and communes, then schools, health stations and other
    level-4 units spread over the communes."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str | None]] = [
        (f"000.00.00.{PROVINCE}", "Ủy ban nhân dân tỉnh Hà Giang", "UBND tỉnh Hà Giang")]
    for bb, (name, short) in enumerate(DEPARTMENTS, start=1):
        out.append((f"000.00.{bb:02d}.{PROVINCE}", name, short))
        out += [(f"000.{cc:02d}.{bb:02d}.{PROVINCE}", f"{office} {name}", None)
                for cc, office in enumerate(OFFICES, start=1)]
    communes: list[tuple[str, str, str]] = []
    for bb in range(len(DEPARTMENTS) + 1, 33):
        kind = rng.choice(["huyện", "huyện", "huyện", "thành phố", "thị xã"])
        place = _place(rng)
        out.append((f"000.00.{bb:02d}.{PROVINCE}", f"Ủy ban nhân dân {kind} {place}",
                     f"UBND {kind} {place}"))
        out += [(f"000.{cc:02d}.{bb:02d}.{PROVINCE}", f"{office} {kind} {place}", None)
                for cc, office in enumerate(DISTRICT_OFFICES, start=1)]
        for cc in range(len(DISTRICT_OFFICES) + 1, len(DISTRICT_OFFICES) + 26):
            commune = rng.choice(["xã", "xã", "xã", "phường", "thị trấn"])
            place = _place(rng)
            code = f"000.{cc:02d}.{bb:02d}.{PROVINCE}"
            out.append((code, f"Ủy ban nhân dân {commune} {place}", f"UBND {commune} {place}"))
            communes.append((code, commune, place))
    serial = 0
    while len(out) < count:
        serial += 1
        for code, commune, place in communes:
            pattern = rng.choice(SCHOOLS)
            name = pattern.format(p=place, k=commune, n=rng.randint(2, 5), v=_place(rng))
            out.append((f"{serial:03d}{code[3:]}", name, None))
            if len(out) == count:
                break
    return out[:count]


def _load(deps: Deps, rows: list[tuple[str, str, str | None]]) -> None:
    """Register the units 33 per transaction (3 writes each, plus the version bump)."""
    for start in range(0, len(rows), 33):
        ops: list[TransactOp] = [unit_records.bump_directory()]
        for code, name, short in rows[start:start + 33]:
            unit = unit_records.new_unit_item(deps, code, name, short_name=short)
            ops += unit_records.creation_ops(deps, unit, actor=None)
        deps.table.transact(ops)


def _queries(rows: list[tuple[str, str, str | None]], n: int,
             rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """A mix: accented names, unaccented, prefixes of the last word, short names, codes,
    code prefixes, and searches narrowed by subtree, level or status."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        code, name, short = rng.choice(rows)
        words = name.split()
        pick = i % 8
        if pick == 0:
            out.append((name, {}))
        elif pick == 1:
            out.append((fold(name), {}))
        elif pick == 2:
            tail = words[-1][:max(1, len(words[-1]) // 2)]
            out.append((" ".join([*words[-3:-1], tail]), {}))
        elif pick == 3:
            out.append((short or " ".join(words[:3]), {}))
        elif pick == 4:
            out.append((code, {}))
        elif pick == 5:
            out.append((code[:9], {}))
        elif pick == 6:
            district = f"000.00.{code.split('.')[2]}.{PROVINCE}"
            out.append((fold(" ".join(words[:2])), {"parent": district, "level": 4}))
        else:
            out.append((fold(words[-1]), {"status": unit_records.ACTIVE, "limit": 50}))
    return out


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(units: int = 15000, queries: int = 2000, repetitions: int = 3,
        seed: int = 53) -> dict[str, Any]:
    """Build the synthetic directory, then time searches against dict lookups and the
    index build against paging the partition. Returns rates, ratios and raw medians."""
    rng = random.Random(seed)
    rows = synthetic_units(units, seed)
    mix = _queries(rows, queries, rng)
    lookup_codes = [rng.choice(rows)[0] for _ in range(queries)]
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-dir-") as tmp:
        table = SqliteTable(Path(tmp) / "table.sqlite3")
        try:
            deps = make_deps(table, cast(ObjectStore, object()), FakeClock())
            load_s = _timed(lambda: _load(deps, rows))
            idx = directory.index(deps)
            plain = {r.code: r for r in idx.rows}
            raw: dict[str, list[float]] = {k: [] for k in (
                "index_search", "service_search", "dict_lookup", "page", "build")}
            entries: list[Any] = []
            for _ in range(repetitions):
                raw["dict_lookup"].append(_timed(lambda: [plain[c] for c in lookup_codes]))
                raw["index_search"].append(_timed(lambda: [idx.search(q, **kw)
                                                           for q, kw in mix]))
                raw["service_search"].append(_timed(lambda: [directory.search(deps, q, **kw)
                                                             for q, kw in mix]))
                entries.clear()
                raw["page"].append(_timed(lambda: entries.extend(
                    directory.read_entries(deps))))
                raw["build"].append(_timed(lambda: directory.DirectoryIndex(
                    idx.version, entries)))
            hits = sum(1 for q, kw in mix if idx.search(q, **kw)[0])
        finally:
            table.close()
    med = {k: statistics.median(v) for k, v in raw.items()}
    per_second = {k: round(queries / med[k], 1) for k in ("index_search", "service_search",
                                                           "dict_lookup")}
    return {
        "units": len(rows), "queries": queries, "repetitions": repetitions,
        "queries_with_results": hits, "load_seconds": round(load_s, 2),
        "per_second_median": per_second,
        "dict_lookups_per_index_search": round(med["index_search"] / med["dict_lookup"], 1),
        "dict_lookups_per_service_search": round(
            med["service_search"] / med["dict_lookup"], 1),
        "page_ms": round(med["page"] * 1000, 1), "build_ms": round(med["build"] * 1000, 1),
        "build_over_page": round(med["build"] / med["page"], 2),
    }
