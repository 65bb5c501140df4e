"""Rules of the service catalogue (R-COMP-3, R-JOIN-3): pure, no I/O (docs/catalogue.md).

An entry's life: `pending` (published, waiting for an operator) → `listed` (approved) or
`refused` (with a reason); the owner can withdraw a pending or listed entry, and publish
a refused or withdrawn one again (back to `pending`).

An access request's life: `pending` → `granted` (the grant brokered sessions read is
created with it) or `refused` (with a reason); `granted` → `revoked` (the grant removed).
While granted, its rate a minute through the proxy may change.

Search matches the words of a query against an entry's name, description, data
categories and owner unit, folded as the directory folds names (`domain.directory`):
no diacritics, `đ` = `d`, any case, the start of a word is enough.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import directory as text
from .errors import (
    ConflictError,
    InvalidRequestError,
    PayloadTooLargeError,
)

PENDING, LISTED, REFUSED, WITHDRAWN = "pending", "listed", "refused", "withdrawn"
ENTRY_STATES = (PENDING, LISTED, REFUSED, WITHDRAWN)
GRANTED, REVOKED = "granted", "revoked"
REQUEST_STATES = (PENDING, GRANTED, REFUSED, REVOKED)
REPUBLISHABLE = (REFUSED, WITHDRAWN)
OPEN_REQUEST = (PENDING, GRANTED)
DEFAULT_SCOPE = "call"  # the one scope of a service that declares none

MAX_DOCUMENT_BYTES = 1 << 20
PART_CHARS = 300_000  # one item holds at most 400 KB
_OPENAPI_VERSION = re.compile(r"^3\.\d+\.\d+$")

# action -> (states it may start from, state it leads to)
ENTRY_MOVES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "approve": ((PENDING,), LISTED),
    "refuse": ((PENDING,), REFUSED),
    "withdraw": ((PENDING, LISTED), WITHDRAWN),
}
REQUEST_MOVES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "grant": ((PENDING,), GRANTED),
    "refuse": ((PENDING,), REFUSED),
    "revoke": ((GRANTED,), REVOKED),
    "change_rate": ((GRANTED,), GRANTED),  # the grant's own rate a minute (proxy mode)
}
_DONE = {"approve": "approved", "refuse": "refused", "withdraw": "withdrawn",
         "grant": "granted", "revoke": "revoked", "change_rate": "given another rate"}


def entry_move(action: str, current: str) -> str:
    """The state `action` leads an entry to from `current`, or 409
    `catalogue_state_conflict` naming both."""
    starts, target = ENTRY_MOVES[action]
    if current not in starts:
        raise ConflictError(f"A {current} catalogue entry cannot be {_DONE[action]}: only "
                            f"{' or '.join(starts)} ones.", code="catalogue_state_conflict",
                            state=current)
    return target


def request_move(action: str, current: str) -> str:
    """The state `action` leads an access request to, or 409 `access_state_conflict`."""
    starts, target = REQUEST_MOVES[action]
    if current not in starts:
        raise ConflictError(f"A {current} access request cannot be {_DONE[action]}: only "
                            f"{' or '.join(starts)} ones.", code="access_state_conflict",
                            state=current)
    return target


def check_openapi(raw: str) -> dict[str, Any]:
    """An uploaded OpenAPI document, parsed, or 400 `invalid_openapi` (413
    `openapi_too_large` over 1 MiB). Simple and strict: JSON, an object with
    `openapi` 3.x.y, `info` with a `title` and `version`, and `paths` whose keys start with
    `/`. Nothing it names is fetched (no `$ref` is followed)."""
    size = len(raw.encode())
    if size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLargeError(f"The OpenAPI document has {size} bytes; at most "
                                   f"{MAX_DOCUMENT_BYTES} (1 MiB) are taken.",
                                   code="openapi_too_large", limit=MAX_DOCUMENT_BYTES)
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise _invalid(f"it is not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise _invalid("it is not a JSON object")
    version = doc.get("openapi")
    if not isinstance(version, str) or not _OPENAPI_VERSION.match(version):
        raise _invalid("`openapi` must be a 3.x.y version string (OpenAPI 3)")
    info = doc.get("info")
    if not isinstance(info, dict) or not all(
            isinstance(info.get(k), str) and info[k] for k in ("title", "version")):
        raise _invalid("`info` must be an object with a `title` and a `version`")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not all(
            isinstance(k, str) and k.startswith("/") for k in paths):
        raise _invalid("`paths` must be an object whose keys start with `/`")
    return doc


def _invalid(why: str) -> InvalidRequestError:
    return InvalidRequestError(f"The OpenAPI document is refused: {why}.",
                               code="invalid_openapi", field="openapi_document")


def pack_document(doc: Mapping[str, Any]) -> list[str]:
    """A document as the parts the table stores: compact JSON, gzip, base64, cut."""
    data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    packed = base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")
    return [packed[i:i + PART_CHARS] for i in range(0, len(packed), PART_CHARS)] or [""]


def unpack_document(parts: Sequence[str]) -> dict[str, Any]:
    doc = json.loads(gzip.decompress(base64.b64decode("".join(parts))))
    assert isinstance(doc, dict)
    return doc


def scopes_for(requested: Sequence[str] | None, declared: Sequence[str]) -> list[str]:
    """The scopes an access request asks for: every declared one by default, else the
    ones named (400 `unknown_scope` for one the service does not declare)."""
    offered = list(declared) or [DEFAULT_SCOPE]
    if not requested:
        return sorted(set(offered))
    unknown = sorted(set(requested) - set(offered))
    if unknown:
        raise InvalidRequestError(f"The service declares no scope {', '.join(unknown)}; it "
                                  f"offers {', '.join(offered)}.", code="unknown_scope",
                                  scopes=unknown)
    return sorted(set(requested))


def may_see(entry_state: str, entry_unit: str, *, unit: str, operator: bool) -> bool:
    """Listed entries are everyone's to read; others only their owner's and operators'."""
    return entry_state == LISTED or operator or entry_unit == unit


def may_decide_access(service_unit: str, *, unit: str, operator: bool) -> bool:
    """The service's owner unit or an operator grants, refuses and revokes access."""
    return operator or service_unit == unit


def searchable_words(name: str, description: str, categories: Sequence[str],
                     unit: str, service_id: str) -> list[str]:
    """The folded words an entry is found by."""
    return text.tokens(" ".join((name, description, *categories, unit, service_id)))


def matches(query_words: Sequence[str], entry_words: Sequence[str]) -> bool:
    """Every query word is a word, or the start of a word, of the entry."""
    return text.match_words(query_words, entry_words) is not None


def query_words(query: str) -> list[str]:
    return text.query_tokens(query)


def sort_key(name: str, ref: str) -> str:
    """Search and listing order: the folded name, then the ref (stable, a cursor)."""
    return f"{text.fold(name)}\x00{ref}"
