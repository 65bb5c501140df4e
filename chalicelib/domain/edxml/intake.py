"""What the hub makes of a stored edXML package before delivering it (docs/edxml.md):
the problems that refuse it, or the values the message takes from its header. Pure: the
service reads the package from the store and the original document from the table.

A package is refused when its header breaks the standard's rules (`rules.problems`), when
it is not the sender's own or names a unit the message does not go to
(`rules.against_message`), or when it recalls, updates or replaces (`BussinessDocType`
1-3) a document the sender never sent through the hub, or leaves out one of that
document's destinations: a recall must reach every unit that received the original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .dates import parse_date
from .models import Package, Problem
from .values import message_values

RECALL_KINDS = {1: "recall", 2: "update", 3: "replace"}
MAX_PROBLEMS = 20  # kept on the message and told to the source; the rest are counted
_BUSINESS = "TraceHeaderList/Bussiness/BussinessDocType"


@dataclass(frozen=True)
class Original:
    """The document a recall, update or replacement refers to, as the hub recorded it."""

    message_id: str
    destinations: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    problems: list[Problem]
    changes: dict[str, Any] = field(default_factory=dict)  # what the message takes

    @property
    def refused(self) -> bool:
        return bool(self.problems)


def document_id(package: Package) -> str | None:
    return package.header.document_id if package.header else None


def business_doc_type(package: Package) -> int:
    """0 new (also when absent), 1 recall, 2 update, 3 replace."""
    bussiness = package.trace_header_list.bussiness if package.trace_header_list else None
    text = (bussiness.bussiness_doc_type if bussiness else None) or "0"
    return int(text) if text.isdigit() else 0


def verdict(package: Package, *, sender: str, destinations: Sequence[str], now: int,
            created_at: int, confirm_by: int, original: Original | None) -> Verdict:
    """Refuse the package (its problems), or say what the message takes from it: title,
    priority, the set time of Priority 4 (`deliver_at`), the deadline (`confirm_by`: the
    header's DueDate when later than now; for Priority 4 the sender's window counts from
    the set time) and the document's facts (`edxml`)."""
    found = rules.problems(package) + rules.against_message(package, sender, destinations)
    if found:
        return Verdict(found)
    kind = business_doc_type(package)
    if kind in RECALL_KINDS:
        found = _against_original(package, kind, destinations, original)
        if found:
            return Verdict(found)
    values = message_values(package)
    changes: dict[str, Any] = {"title": values.title, "priority": values.priority.value,
                               "priority_rank": values.priority.rank,
                               "edxml": facts(package, original)}
    if values.deliver_at is not None:
        at = int(values.deliver_at.timestamp())
        changes["deliver_at"] = at
        changes["confirm_by"] = max(confirm_by, at + (confirm_by - created_at))
    elif values.deadline is not None and int(values.deadline.timestamp()) > now:
        changes["confirm_by"] = int(values.deadline.timestamp())
    return Verdict([], changes)


def _against_original(package: Package, kind: int, destinations: Sequence[str],
                      original: Original | None) -> list[Problem]:
    what = RECALL_KINDS[kind]
    doc = document_id(package)
    if original is None:
        return [Problem("edxml_unknown_original", _BUSINESS,
                        f"{_BUSINESS} is {kind} ({what}), but the sender sent no document "
                        f"with DocumentId '{doc}' through the hub")]
    missing = [unit for unit in original.destinations if unit not in set(destinations)]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        return [Problem("edxml_original_destinations", _BUSINESS,
                        f"a {what} must reach every destination of the original document "
                        f"(message {original.message_id}); missing: {shown}")]
    return []


def facts(package: Package, original: Original | None = None) -> dict[str, Any]:
    """The document's facts the hub keeps on the message: what a status package answering
    it names (`ResponseFor`), and what it recalls or replaces."""
    h = package.header
    assert h is not None  # a package that passed the rules has a header
    code, promulgation = h.code, h.promulgation_info
    day = parse_date(promulgation.promulgation_date if promulgation else None)
    out: dict[str, Any] = {
        "document_id": h.document_id,
        "code_number": code.code_number if code else None,
        "code_notation": code.code_notation if code else None,
        "promulgation_date": day.isoformat() if day else None,
        "organ_id": h.from_.organ_id if h.from_ else None,
        "organ_name": h.from_.organ_name if h.from_ else None,
        "subject": h.subject, "business_doc_type": business_doc_type(package),
        "attachments": len(package.attachments),
    }
    if original is not None:
        out["original"] = original.message_id
    return out


def problem_view(problems: Sequence[Problem]) -> list[dict[str, str]]:
    """The problems as the message and the source's event carry them (at most
    MAX_PROBLEMS)."""
    return [{"code": p.code, "element": p.path, "message": p.message}
            for p in problems[:MAX_PROBLEMS]]
