"""The smart directory (R-PROP-7): search, lookups and subtrees over a cached index.

The table has no scan and a query may read only one partition, so a search cannot ask the
table. Each process keeps an in-memory index of the whole directory (the `UNITS`
partition, a few MB for 15,000 units), labelled with the directory version it was built
at. A request reads the version (one GetItem) and rebuilds only when it moved: every unit
change bumps it in the same transaction (`services.units`). See docs/data-model.md,
"The directory index", and docs/directory.md.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from chalicelib.domain import directory as rules, identifiers, keys
from chalicelib.domain.directory_schemas import (
    DirectoryEntry,
    DirectoryUnit,
    FieldName,
    MatchedPart,
    SearchPage,
    SearchResult,
    SubtreePage,
)
from chalicelib.domain.errors import InvalidRequestError, LgspError, NotFoundError
from chalicelib.domain.ports import Item, Table
from chalicelib.services import units
from chalicelib.services.deps import Deps

PAGE = 200  # UNITS entries per query page while building
EMPTY: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    """One unit as the index keeps it: the entry fields plus its folded words."""

    code: str
    name: str
    short_name: str
    level: int
    parent: str | None
    status: str
    account: str
    successors: tuple[str, ...]
    name_words: tuple[str, ...]
    short_words: tuple[str, ...] | None  # None when the short name is the name
    ancestors: tuple[str, ...]

    def entry(self) -> DirectoryEntry:
        return DirectoryEntry(code=self.code, name=self.name, short_name=self.short_name,
                              level=self.level, parent=self.parent, status=self.status,
                              account=self.account, successors=list(self.successors))


def _row(item: Item, ancestors: tuple[str, ...]) -> Row:
    code = str(item["code"])
    name = str(item.get("name") or code)
    short = str(item.get("short_name") or name)
    return Row(code=code, name=name, short_name=short, level=int(item.get("level") or 1),
               parent=item.get("parent"), status=str(item.get("status") or units.ACTIVE),
               account=str(item.get("account") or code),
               successors=tuple(item.get("successors") or ()),
               name_words=tuple(rules.tokens(name)),
               short_words=None if short == name else tuple(rules.tokens(short)),
               ancestors=ancestors)


def _rows(items: Iterable[Item]) -> list[Row]:
    """Rows with their ancestors from the codes (`identifiers`), each chain computed once
    per parent: most units share a handful of parents."""
    chains: dict[str | None, tuple[str, ...]] = {None: ()}

    def chain(code: str | None) -> tuple[str, ...]:
        if code not in chains:
            assert code is not None
            parent = identifiers.parse(code).parent
            chains[code] = (parent, *chain(parent)) if parent else ()
        return chains[code]

    out = []
    for item in items:
        try:
            ancestors = chain(str(item["code"]))
        except LgspError:  # an entry written before codes were validated: no tree
            ancestors = ()
        out.append(_row(item, ancestors))
    return out


@dataclass(frozen=True)
class Hit:
    row: Row
    tier: int
    match: MatchedPart | None


class DirectoryIndex:
    """Immutable once built, so readers on any thread share it without locks.

    Rows are numbered in tie-break order (`rules.order_key`), so sorting candidate ids
    sorts them by rank within a tier, and a search can stop verifying candidates as soon
    as it holds `limit + 1` results.
    """

    def __init__(self, version: int, items: Iterable[Item]) -> None:
        self.version = version
        rows = sorted(_rows(items), key=lambda r: rules.order_key(r.name, r.level, r.code))
        self.rows = rows
        self.by_code = {r.code: i for i, r in enumerate(rows)}
        self.by_account = {r.account.casefold(): i for i, r in enumerate(rows)}
        self.by_folded_code = {r.code.casefold(): i for i, r in enumerate(rows)}
        self.code_order = sorted(range(len(rows)), key=lambda i: rows[i].code)
        self.codes = [rows[i].code for i in self.code_order]
        self.folded_codes = sorted((r.code.casefold(), i) for i, r in enumerate(rows))
        self.tree_order = sorted(range(len(rows)), key=lambda i: rules.tree_key(rows[i].code))
        self.tree_keys = [rules.tree_key(rows[i].code) for i in self.tree_order]
        postings: dict[str, set[int]] = defaultdict(set)
        levels: dict[int, set[int]] = defaultdict(set)
        statuses: dict[str, set[int]] = defaultdict(set)
        under: dict[str, set[int]] = defaultdict(set)
        for i, r in enumerate(rows):
            for word in (*r.name_words, *(r.short_words or ())):
                postings[word].add(i)
            levels[r.level].add(i)
            statuses[r.status].add(i)
            for ancestor in r.ancestors:
                under[ancestor].add(i)
        self.vocab = sorted(postings)
        self.word_ids = {w: frozenset(ids) for w, ids in postings.items()}
        self.postings = [self.word_ids[w] for w in self.vocab]
        self.levels = {k: frozenset(v) for k, v in levels.items()}
        self.statuses = {k: frozenset(v) for k, v in statuses.items()}
        self.under = {k: frozenset(v) for k, v in under.items()}

    # candidates -----------------------------------------------------------------------

    def _allowed(self, parent: str | None, level: int | None,
                 status: str | None) -> frozenset[int] | None:
        sets = [s for s in (None if parent is None else self.under.get(parent, EMPTY),
                            None if level is None else self.levels.get(level, EMPTY),
                            None if status is None else self.statuses.get(status, EMPTY))
                if s is not None]
        return frozenset.intersection(*sorted(sets, key=len)) if sets else None

    def _prefixed(self, q: str) -> frozenset[int]:
        lo = bisect.bisect_left(self.vocab, q)
        hi = bisect.bisect_left(self.vocab, q + "\U0010ffff")
        if hi - lo == 1:
            return self.postings[lo]
        return frozenset().union(*self.postings[lo:hi])

    def _code_prefixed(self, q: str) -> set[int]:
        folded = q.strip().casefold()
        if not folded or any(c.isspace() for c in folded):
            return set()
        if "@" in folded:
            return {i for a, i in self.by_account.items() if a.startswith(folded)}
        lo = bisect.bisect_left(self.folded_codes, (folded, -1))
        hi = bisect.bisect_left(self.folded_codes, (folded + "\U0010ffff", -1))
        return {i for _, i in self.folded_codes[lo:hi]}

    # matching -------------------------------------------------------------------------

    def _verify(self, i: int, query: str, words: list[str]) -> Hit | None:
        """The unit's best match for the query (words first, then code or account)."""
        row = self.rows[i]
        fields: list[tuple[str, tuple[str, ...]]] = [("name", row.name_words)]
        if row.short_words is not None:
            fields.append(("short_name", row.short_words))
        best = rules.best_field(words, fields) if words else None
        if best is not None:
            field, found = best
            text = row.name if field == "name" else row.short_name
            return Hit(row, found.tier, MatchedPart(field=cast(FieldName, field), text=text,
                                                    spans=rules.spans(text, found)))
        code = rules.code_match(query, row.code, row.account)
        if code is None:
            return None
        field, tier = code
        text = row.code if field == "code" else row.account
        end = len(text) if tier == rules.EXACT else len(query.strip())
        return Hit(row, tier, MatchedPart(field=cast(FieldName, field), text=text,
                                          spans=[(0, end)]))

    def _candidates(self, query: str, words: list[str], allowed: frozenset[int] | None
                    ) -> tuple[int | None, frozenset[int], set[int]]:
        """The exact code/account hit, the ids holding every token as a whole word, and
        the ids where every token starts a word or the query starts the code/account."""
        folded = query.strip().casefold()
        exact = self.by_folded_code.get(folded, self.by_account.get(folded))
        whole: frozenset[int] = EMPTY
        loose = self._code_prefixed(query)
        if words:
            whole = frozenset.intersection(*sorted(
                (self.word_ids.get(w, EMPTY) for w in words), key=len))
            loose |= frozenset.intersection(*sorted(
                (self._prefixed(w) for w in words), key=len))
        if allowed is None:
            return exact, whole, loose
        return (exact if exact in allowed else None), whole & allowed, loose & allowed

    def search(self, query: str, *, parent: str | None = None, level: int | None = None,
               status: str | None = None, limit: int = 20) -> tuple[list[Hit], bool]:
        """Ranked matches (see `chalicelib.domain.directory`) and whether there are more.

        Candidates are verified in rank order and the search stops at `limit + 1`: a
        unit's tier can only be worse than its candidate set suggests, never better.
        """
        want = limit + 1
        words = rules.query_tokens(query)
        exact, whole, loose = self._candidates(
            query, words, self._allowed(parent, level, status))
        first = None if exact is None else self._verify(exact, query, [])
        hits: list[Hit] = [] if first is None else [first]
        taken: set[int] = set() if exact is None else {exact}
        demoted: dict[int, Hit] = {}
        for i in sorted(whole - taken):
            if len(hits) >= want:
                break
            hit = self._verify(i, query, words)
            if hit is not None and hit.tier == rules.WHOLE_WORDS:
                hits.append(hit)
            elif hit is not None:
                demoted[i] = hit
            taken.add(i)
        for i in sorted((loose - taken) | set(demoted)):
            if len(hits) >= want:
                break
            hit = demoted.get(i) or self._verify(i, query, words)
            if hit is not None:
                hits.append(hit)
        return hits[:limit], len(hits) > limit

    def listing(self, *, parent: str | None, level: int | None, status: str | None,
                limit: int, after: str | None) -> tuple[list[Row], str | None]:
        """Units passing the filters in code order, one page after the code `after`."""
        allowed = self._allowed(parent, level, status)
        start = 0 if after is None else bisect.bisect_right(self.codes, after)
        out: list[Row] = []
        for i in self.code_order[start:]:
            if allowed is None or i in allowed:
                if len(out) == limit:
                    return out, out[-1].code
                out.append(self.rows[i])
        return out, None

    def subtree(self, root: str, *, limit: int, after: str | None) -> tuple[list[Row], bool]:
        """The root and its descendants, each right after its parent, one page."""
        key = rules.tree_key(after if after is not None else root)
        start = (bisect.bisect_right if after is not None else bisect.bisect_left)(
            self.tree_keys, key)
        out: list[Row] = []
        for i in self.tree_order[start:]:
            row = self.rows[i]
            if row.code != root and root not in row.ancestors:
                break  # a subtree is one contiguous run in tree order
            if len(out) == limit:
                return out, True
            out.append(row)
        return out, False


class _Cache:
    """The index per table object (a process normally has one), rebuilt on a new version.

    Readers take no lock: an index is never changed once published. Builders serialise
    on one lock and re-check, so concurrent requests after a change build it once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_table: weakref.WeakKeyDictionary[Table, DirectoryIndex] = \
            weakref.WeakKeyDictionary()
        self.builds = 0

    def get(self, deps: Deps) -> DirectoryIndex:
        version = units.directory_version(deps)
        current = self._by_table.get(deps.table)
        if current is not None and current.version >= version:
            return current
        with self._lock:
            current = self._by_table.get(deps.table)
            if current is not None and current.version >= version:
                return current
            # Labelled with the version read BEFORE paging: a change committed meanwhile
            # bumps past it, so the next request rebuilds rather than trusting a mix.
            built = DirectoryIndex(version, read_entries(deps))
            self._by_table[deps.table] = built
            self.builds += 1
            return built


def read_entries(deps: Deps) -> list[Item]:
    """Every directory entry, paging the `UNITS` partition (the only full read)."""
    out: list[Item] = []
    cursor: str | None = None
    while True:
        page = units.list_units(deps, limit=PAGE, cursor=cursor)
        out.extend(page.items)
        if page.cursor is None:
            return out
        cursor = page.cursor


CACHE = _Cache()


def index(deps: Deps) -> DirectoryIndex:
    """The current index: one GetItem, plus a rebuild only after a directory change."""
    return CACHE.get(deps)


def _result(hit: Hit) -> SearchResult:
    return SearchResult(**hit.row.entry().model_dump(), match=hit.match)


def search(deps: Deps, query: str | None, *, parent: str | None = None,
           level: int | None = None, status: str | None = None, limit: int = 20,
           cursor: str | None = None) -> SearchPage:
    """Ranked search (with `query`) or a filtered listing in code order (without)."""
    idx = index(deps)
    if query is not None and query.strip():
        if cursor is not None:
            raise InvalidRequestError("A search answers one ranked page; narrow the query "
                                      "or raise limit.", code="invalid_cursor")
        hits, more = idx.search(query, parent=parent, level=level, status=status,
                                limit=limit)
        return SearchPage(query=query, version=idx.version, more=more,
                          items=[_result(h) for h in hits])
    rows, next_code = idx.listing(parent=parent, level=level, status=status, limit=limit,
                                  after=cursor)
    return SearchPage(version=idx.version, more=next_code is not None, next_cursor=next_code,
                      items=[SearchResult(**r.entry().model_dump()) for r in rows])


def _not_found(code: str) -> NotFoundError:
    return NotFoundError(f"No unit {code} in the directory.", code="unit_not_found",
                         unit=code)


def get_entry(deps: Deps, code: str) -> DirectoryEntry:
    """One unit by code: a GetItem of its directory entry (always current)."""
    identifiers.parse(code)
    item = deps.table.get(*keys.directory_entry(code))
    if item is None:
        raise _not_found(code)
    return _rows([item])[0].entry()


def get_unit(deps: Deps, code: str) -> DirectoryUnit:
    """One unit by code: ours (`get_entry`), else a peer hub's where a route sends the code
    (`services/remote_units.py`, issue 15); 404 `unit_not_found` for neither."""
    try:
        return DirectoryUnit(**get_entry(deps, code).model_dump())
    except NotFoundError:
        from chalicelib.services import remote_units
        remote = remote_units.directory_unit(deps, code)
        if remote is None:
            raise
        return remote


def by_account(deps: Deps, account: str) -> SearchPage:
    """The unit whose account is `<code>@<province domain>`, as a one-result page."""
    code, _, domain = account.strip().partition("@")
    if not domain or domain.casefold() != deps.settings.province_domain.casefold():
        raise NotFoundError(f"No unit has the account {account}.", code="unit_not_found")
    entry = get_entry(deps, code)
    match = MatchedPart(field="account", text=entry.account, spans=[(0, len(entry.account))])
    return SearchPage(query=account, version=units.directory_version(deps), more=False,
                      items=[SearchResult(**entry.model_dump(), match=match)])


def subtree(deps: Deps, code: str, *, limit: int, cursor: str | None) -> SubtreePage:
    """The unit and its descendants, parents before children, paged by `cursor`."""
    identifiers.parse(code)
    idx = index(deps)
    if code not in idx.by_code:
        raise _not_found(code)
    if cursor is not None:
        row = idx.rows[idx.by_code[cursor]] if cursor in idx.by_code else None
        if row is None or (cursor != code and code not in row.ancestors):
            raise InvalidRequestError("Unknown cursor; start again without it.",
                                      code="invalid_cursor")
    rows, more = idx.subtree(code, limit=limit, after=cursor)
    return SubtreePage(root=code, items=[r.entry() for r in rows], more=more,
                       next_cursor=rows[-1].code if more else None)
